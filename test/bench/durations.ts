/**
 * How close recorded durations are to a session's active time: the share of sessions whose duration is within 25%
 * of it, measured as the entry records it before (wall clock from first to last line) and now (the fold's active
 * time). `npx tsx test/bench/durations.ts`. The corpus is generated: sessions of one to four runs separated by
 * breaks (40 minutes to 4 days), each run's lines apart by what Claude Code shows (seconds mostly, minutes for tool
 * calls and reading, one line in a thousand a long build of 25 to 45 minutes); its active time is the sum of the gaps within runs.
 * The real fixtures (shared/fixtures/claude-code) are listed with both figures.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTranscript } from '../../lib/clients/claude-code/read.js';
import { transcript } from '../helpers/transcript-builder.js';

const MINUTE = 60_000;
let seed = 42;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const between = (low: number, high: number) => low + random() * (high - low);

function lineGap(): number {
  const draw = random();
  if (draw < 0.7) return between(1_000, 20_000);
  if (draw < 0.95) return between(20_000, 3 * MINUTE);
  if (draw < 0.999) return between(3 * MINUTE, 25 * MINUTE);
  return between(25 * MINUTE, 45 * MINUTE);
}

const within = (value: number, truth: number) => Math.abs(value - truth) <= 0.25 * truth;
const dir = await mkdtemp(join(tmpdir(), 'durations-'));
let wallWithin = 0;
let activeWithin = 0;
const sessions = 300;
for (let n = 0; n < sessions; n++) {
  let time = Date.parse('2026-11-01T09:00:00Z') + n * 3 * MINUTE;
  let truth = 0;
  const t = transcript({ cwd: '/work/widget', sessionId: `s${n}`, clock: () => new Date(time) });
  const runs = 1 + Math.floor(random() * 4);
  for (let run = 0; run < runs; run++) {
    if (run > 0) time += between(40 * MINUTE, 4 * 1440 * MINUTE);
    t.prompt(`run ${run}`);
    const lines = 5 + Math.floor(random() * 75);
    for (let line = 0; line < lines; line++) {
      const gap = lineGap();
      time += gap;
      truth += gap;
      t.say(`line ${line}`);
    }
  }
  const path = join(dir, `s${n}.jsonl`);
  await writeFile(path, t.toJsonl());
  const { facts } = readTranscript(path).scan;
  const wall = Date.parse(facts.lastTimestamp!) - Date.parse(facts.firstTimestamp!);
  if (within(wall, truth)) wallWithin++;
  if (within(facts.activeMs ?? 0, truth)) activeWithin++;
}
await rm(dir, { recursive: true, force: true });
console.log(`generated corpus: ${sessions} sessions; duration within 25% of active time: wall clock ${wallWithin} (${Math.round((100 * wallWithin) / sessions)}%), active time ${activeWithin} (${Math.round((100 * activeWithin) / sessions)}%)`);

const fixtures = new URL('../../../shared/fixtures/claude-code/', import.meta.url);
for (const name of (await readdir(fixtures)).filter((file) => file.endsWith('.jsonl'))) {
  const { facts } = readTranscript(join(fixtures.pathname, name)).scan;
  const wall = Date.parse(facts.lastTimestamp!) - Date.parse(facts.firstTimestamp!);
  console.log(`${name}: wall clock ${(wall / MINUTE).toFixed(1)} min, active ${((facts.activeMs ?? 0) / MINUTE).toFixed(1)} min`);
}
