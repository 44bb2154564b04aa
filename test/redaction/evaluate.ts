/**
 * Prints how a redactor does on the corpus: caught, missed and changed counts, and throughput on the corpus repeated
 * to 8 MB (dense with secrets, the worst case) and on this repository's own lib/ sources (code and prose, the usual
 * case).
 *
 *   npx tsx test/redaction/evaluate.ts                        the hand-written patterns (lib/redact.ts)
 *   npx tsx test/redaction/evaluate.ts --redactor secretlint  secretlint's recommended preset (see secretlint-redactor.ts)
 *   npx tsx test/redaction/evaluate.ts --redactor hand --redactor secretlint   both, timed in alternation
 *   npx tsx test/redaction/evaluate.ts --details              also list each miss and each changed ordinary text
 *
 * Throughput is MB per second of this process's CPU time, which a loaded machine disturbs less than the clock does;
 * still, compare redactors measured in the same run, not across runs or machines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
const corpusSpeeds = await measureThroughput(redactors, corpusBlob(8 * 1024 * 1024));
const sourceSpeeds = await measureThroughput(redactors, sourceBlob(8 * 1024 * 1024));
for (const [index, name] of names.entries()) {
  const redactor = redactors[index]!;
  const secretOutputs = await Promise.all(secretCases.map((item) => redactor(item.text)));
  const ordinaryOutputs = await Promise.all(ordinaryCases.map((item) => redactor(item.text)));
  report(name, scoreOutputs(secretOutputs, ordinaryOutputs), corpusSpeeds[index]!, sourceSpeeds[index]!);
}

function report(name: string, score: Score, corpusSpeed: number, sourceSpeed: number): void {
  const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)}%`;
  console.log(`redactor: ${name}`);
  console.log(`secrets:  ${score.caught}/${score.secrets} caught (${percent(score.caught, score.secrets)}), ${score.missed.length} missed`);
  console.log(`ordinary: ${score.changed.length}/${score.ordinary} changed (${percent(score.changed.length, score.ordinary)})`);
  console.log(`speed:    ${corpusSpeed.toFixed(1)} MB/s on the corpus, ${sourceSpeed.toFixed(1)} MB/s on lib/ sources`);
  if (!values.details) return;
  for (const { case: item, output } of score.missed) console.log(`\nMISSED ${item.kind}\n  in:  ${item.text}\n  out: ${output}`);
  for (const { case: item, output } of score.changed) console.log(`\nCHANGED ${item.kind}\n  in:  ${item.text}\n  out: ${output}`);
}

async function loadRedactor(name: string): Promise<Redactor> {
  if (name === 'hand') return redactSecrets;
  if (name === 'secretlint') return loadSecretlintRedactor();
  throw new Error(`unknown redactor ${name}: use hand or secretlint`);
}

/** lib/'s TypeScript (not redact.ts, which is all patterns), repeated to at least `bytes`. */
function sourceBlob(bytes: number): string {
  const files = readdirSync('lib', { recursive: true, encoding: 'utf8' }).filter(
    (file) => file.endsWith('.ts') && !file.endsWith('redact.ts'),
  );
  const once = files.map((file) => readFileSync(join('lib', file), 'utf8')).join('\n');
  return once.repeat(Math.ceil(bytes / once.length));
}

/**
 * MB/s for each redactor over `blob`, redacted in 64 KB pieces (a hook's input is a few KB to a few MB); best of three
 * rounds, the redactors taking turns within a round so that load on the machine hits them alike.
 */
async function measureThroughput(redactors: Redactor[], blob: string): Promise<number[]> {
  const pieces: string[] = [];
  for (let at = 0; at < blob.length; at += 64 * 1024) pieces.push(blob.slice(at, at + 64 * 1024));
  const best = redactors.map(() => Infinity);
  for (let round = 0; round < 3; round++) {
    for (const [index, redact] of redactors.entries()) {
      const start = process.cpuUsage();
      for (const piece of pieces) await redact(piece);
      const used = process.cpuUsage(start);
      best[index] = Math.min(best[index]!, (used.user + used.system) / 1000);
    }
  }
  return best.map((ms) => blob.length / (1024 * 1024) / (ms / 1000));
}
