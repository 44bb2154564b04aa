/**
 * Prints how a redactor does on the corpus: caught, missed and changed counts, and throughput on the corpus repeated
 * to 8 MB.
 *
 *   npx tsx test/redaction/evaluate.ts                        the hand-written patterns (lib/redact.ts)
 *   npx tsx test/redaction/evaluate.ts --redactor secretlint  secretlint's recommended preset (see secretlint-redactor.ts)
 *   npx tsx test/redaction/evaluate.ts --redactor hand --redactor secretlint   both, timed in alternation
 *   npx tsx test/redaction/evaluate.ts --details              also list each miss and each changed ordinary text
 *
 * Throughput depends on the machine and its load: compare redactors measured in the same run, not across runs.
 */
import { parseArgs } from 'node:util';
import { redactSecrets } from '../../lib/redact.js';
import { ordinaryCases, secretCases } from './corpus.js';
import { corpusBlob, scoreOutputs, type Score } from './score.js';
import { loadSecretlintRedactor } from './secretlint-redactor.js';

type Redactor = (text: string) => string | Promise<string>;

const { values } = parseArgs({
  options: {
    redactor: { type: 'string', multiple: true },
    details: { type: 'boolean', default: false },
  },
  strict: true,
});

const names = values.redactor ?? ['hand'];
const redactors = await Promise.all(names.map(loadRedactor));
const speeds = await measureThroughput(redactors);
for (const [index, name] of names.entries()) {
  const redactor = redactors[index]!;
  const secretOutputs = await Promise.all(secretCases.map((item) => redactor(item.text)));
  const ordinaryOutputs = await Promise.all(ordinaryCases.map((item) => redactor(item.text)));
  report(name, scoreOutputs(secretOutputs, ordinaryOutputs), speeds[index]!);
}

function report(name: string, score: Score, speed: number): void {
  const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;
  console.log(`redactor: ${name}`);
  console.log(`secrets:  ${score.caught}/${score.secrets} caught (${percent(score.caught, score.secrets)}), ${score.missed.length} missed`);
  console.log(`ordinary: ${score.changed.length}/${score.ordinary} changed (${percent(score.changed.length, score.ordinary)})`);
  console.log(`speed:    ${speed.toFixed(1)} MB/s`);
  if (!values.details) return;
  for (const { case: item, output } of score.missed) console.log(`\nMISSED ${item.kind}\n  in:  ${item.text}\n  out: ${output}`);
  for (const { case: item, output } of score.changed) console.log(`\nCHANGED ${item.kind}\n  in:  ${item.text}\n  out: ${output}`);
}

async function loadRedactor(name: string): Promise<Redactor> {
  if (name === 'hand') return redactSecrets;
  if (name === 'secretlint') return loadSecretlintRedactor();
  throw new Error(`unknown redactor ${name}: use hand or secretlint`);
}

/**
 * MB/s for each redactor over the corpus repeated to 8 MB, redacted in 64 KB pieces (a hook's input is a few KB to a
 * few MB); best of three rounds, the redactors taking turns within a round so that load on the machine hits them alike.
 */
async function measureThroughput(redactors: Redactor[]): Promise<number[]> {
  const blob = corpusBlob(8 * 1024 * 1024);
  const pieces: string[] = [];
  for (let at = 0; at < blob.length; at += 64 * 1024) pieces.push(blob.slice(at, at + 64 * 1024));
  const best = redactors.map(() => Infinity);
  for (let round = 0; round < 3; round++) {
    for (const [index, redact] of redactors.entries()) {
      const start = performance.now();
      for (const piece of pieces) await redact(piece);
      best[index] = Math.min(best[index]!, performance.now() - start);
    }
  }
  return best.map((ms) => blob.length / (1024 * 1024) / (ms / 1000));
}
