import type SearchableMap from 'minisearch/SearchableMap';
import { BM25, FIELDS, MATCH_WEIGHTS, MAX_FUZZY, type QueryTerm } from './recall.js';

/**
 * minisearch's search (7.x: executeQuerySpec, termResults, calcBM25Score, the OR combination, quality) over postings
 * held in typed arrays, for the cached index of the archives (recall-cache.ts). minisearch alone could not meet the
 * budget there: at 50,000 sessions a common word has tens of thousands of postings, and loading them into its Maps
 * (loadJS) and scoring them through its per-result objects cost ~350 ms of CPU (with GC), against a budget of 3x
 * `node -e 0` (~0.2 s) for the whole process. The ranking is the same: the terms a query word reaches come from
 * minisearch's own SearchableMap (exact, atPrefix, fuzzyGet), weighed and scored as minisearch does, in the same
 * order of floating-point operations (test/recall-cache.test.ts compares both on the same documents).
 */

/** A term's postings in one field, in parts (the archives', then the documents in memory): documents ascending. */
export interface FieldPostings {
  docs: Uint32Array;
  freqs: Uint32Array;
}

/** An indexed term a query word reaches, as minisearch weighs it. */
export interface TermMatch<T> {
  /** The query word's place in the query, and the word. */
  spec: number;
  source: string;
  term: string;
  weight: number;
  value: T;
}

/** The index terms each query word reaches: itself, then longer terms it prefixes, then terms a typo away (as executeQuerySpec). */
export function matchTerms<T>(dictionary: SearchableMap<T>, specs: QueryTerm[]): TermMatch<T>[] {
  const matches: TermMatch<T>[] = [];
  specs.forEach(({ term, prefix, fuzzy }, spec) => {
    const exact = dictionary.get(term);
    if (exact !== undefined) matches.push({ spec, source: term, term, weight: 1, value: exact });
    const maxDistance = fuzzy === false ? 0 : fuzzy < 1 ? Math.min(MAX_FUZZY, Math.round(term.length * fuzzy)) : fuzzy;
    const fuzzyMatches = maxDistance ? dictionary.fuzzyGet(term, maxDistance) : undefined;
    if (prefix) {
      for (const [found, value] of dictionary.atPrefix(term)) {
        const distance = found.length - term.length;
        if (!distance) continue;
        fuzzyMatches?.delete(found);
        matches.push({ spec, source: term, term: found, weight: (MATCH_WEIGHTS.prefix * found.length) / (found.length + 0.3 * distance), value });
      }
    }
    for (const [found, [value, distance]] of fuzzyMatches ?? []) {
      if (!distance) continue;
      matches.push({ spec, source: term, term: found, weight: (MATCH_WEIGHTS.fuzzy * found.length) / (found.length + distance), value });
    }
  });
  return matches;
}

/** What BM25 weighs a posting against: every indexed document, the archives' and those in memory, numbered as one. */
export interface Collection {
  documentCount: number;
  averageFieldLength: number[];
  /** By field id, by document number: the field's distinct words. */
  fieldLengths: Uint32Array[];
  /** By document number: what boostDocument gives it. */
  documentBoost: Float64Array;
}

export interface Scores {
  /** Each matched document's score, as minisearch's search reports it. */
  score: Float64Array;
  /** The matched documents, in the order minisearch first meets them (its results' order before sorting). */
  matched: Int32Array;
}

/** Scores every posting of `matches` (`postings(match)[fieldId]`) as minisearch does, with field boosts `boost`. */
export function scorePostings<T>(
  matches: TermMatch<T>[],
  postings: (match: TermMatch<T>) => (FieldPostings[] | undefined)[],
  collection: Collection,
  boost: Record<string, number>,
): Scores {
  const count = collection.documentCount;
  const specCount = matches.reduce((most, match) => Math.max(most, match.spec + 1), 0);
  const bySpec = Array.from({ length: specCount }, () => new Float64Array(count));
  const met = new Uint8Array(count);
  // Typed, not an array of numbers: at 50,000 documents the garbage collector would copy it about.
  const matched = { docs: new Int32Array(count), length: 0 };
  for (const match of matches) {
    const byField = postings(match);
    FIELDS.forEach((field, fieldId) => {
      const parts = byField[fieldId];
      if (!parts) return;
      const matchingFields = parts.reduce((sum, part) => sum + part.docs.length, 0);
      // calcBM25Score's inverse document frequency: the same for every posting of the term in the field.
      const invDocFreq = Math.log(1 + (count - matchingFields + 0.5) / (matchingFields + 0.5));
      const weight = match.weight * 1 * (boost[field] || 1);
      const lengths = collection.fieldLengths[fieldId]!;
      const average = collection.averageFieldLength[fieldId]!;
      for (const { docs, freqs } of parts) addScores(bySpec[match.spec]!, met, matched, docs, freqs, lengths, average, invDocFreq, weight, collection.documentBoost);
    });
  }
  // OR: the words' sums added in query order; then times the number of distinct query words matched.
  const sources = [...new Set(matches.map((match) => match.source))];
  const sourceOf = Array.from({ length: specCount }, (_, spec) => sources.indexOf(matches.find((match) => match.spec === spec)?.source ?? ''));
  const score = new Float64Array(count);
  const found = new Int32Array(sources.length).fill(-1);
  for (const doc of matched.docs.subarray(0, matched.length)) {
    let sum = 0;
    let words = 0;
    for (let spec = 0; spec < specCount; spec++) {
      const value = bySpec[spec]![doc]!;
      if (value > 0) {
        sum = sum + value;
        if (found[sourceOf[spec]!] !== doc) {
          found[sourceOf[spec]!] = doc;
          words++;
        }
      }
    }
    score[doc] = sum * (words || 1);
  }
  return { score, matched: matched.docs.subarray(0, matched.length) };
}

/** termResults' loop for one term in one field (monomorphic: typed arrays only, as it runs once per posting). */
function addScores(
  sums: Float64Array,
  met: Uint8Array,
  matched: { docs: Int32Array; length: number },
  docs: Uint32Array,
  freqs: Uint32Array,
  lengths: Uint32Array,
  average: number,
  invDocFreq: number,
  weight: number,
  documentBoost: Float64Array,
): void {
  const { k, b, d } = BM25;
  for (let i = 0; i < docs.length; i++) {
    const doc = docs[i]!;
    const termFreq = freqs[i]!;
    // calcBM25Score and the weighted score, operation for operation.
    const rawScore = invDocFreq * (d + (termFreq * (k + 1)) / (termFreq + k * (1 - b + (b * lengths[doc]!) / average)));
    sums[doc] = sums[doc]! + weight * documentBoost[doc]! * rawScore;
    if (met[doc] === 0) {
      met[doc] = 1;
      matched.docs[matched.length++] = doc;
    }
  }
}

/** minisearch's `match` of each document of `docs`: the index terms it holds, each with the fields it is in. */
export function matchedFields<T>(matches: TermMatch<T>[], postings: (match: TermMatch<T>) => (FieldPostings[] | undefined)[], docs: number[]): Map<number, Record<string, string[]>> {
  const combined = new Map<number, Record<string, string[]>>();
  const specCount = matches.reduce((most, match) => Math.max(most, match.spec + 1), 0);
  for (let spec = 0; spec < specCount; spec++) {
    const ofSpec = new Map<number, Record<string, string[]>>();
    for (const match of matches) {
      if (match.spec !== spec) continue;
      const byField = postings(match);
      FIELDS.forEach((field, fieldId) => {
        for (const part of byField[fieldId] ?? []) {
          // minisearch meets a term's documents in number order: the first met in this term come first.
          for (const doc of docs.filter((doc) => holds(part.docs, doc)).sort((a, b) => a - b)) {
            const found = ofSpec.get(doc) ?? {};
            ofSpec.set(doc, found);
            (found[match.term] ??= []).push(field);
          }
        }
      });
    }
    // Object.assign, as minisearch's OR combines: a term met again by a later word takes that word's fields.
    for (const [doc, found] of ofSpec) combined.set(doc, Object.assign(combined.get(doc) ?? {}, found));
  }
  return combined;
}

/** Whether `sorted` (ascending) holds `value`. */
function holds(sorted: Uint32Array, value: number): boolean {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return sorted[low] === value;
}
