/**
 * `npm run bench`: the Stop hook's cost against `node -e 0`, measured in the same run on the same machine.
 * The Stop hook is timed as Claude Code runs it: after one more turn, with the previous turn's worker done,
 * each sample next to a `node -e 0` sample. Then its worker (also the SessionEnd hook) on 1, 10 and 100 MB
 * transcripts in the 2.1.x shape (with large attachment lines), from scratch and after one more turn, with its
 * peak RSS from /usr/bin/time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { READ_BUDGET_BYTES } from '../../lib/clients/lines.js';
import { readSessionState } from '../../lib/memory/state.js';
import { makeHome, repoRoot, type TempHome } from '../helpers/temp-home.js';
import { benchStartCost } from './start-cost.js';
import { benchMemorySizes, benchStateFolder } from './memory-size.js';
import { benchTurnCosts } from './turn-cost.js';
import { transcript, type TranscriptBuilder } from '../helpers/transcript-builder.js';

const stopHook = join(repoRoot, 'dist', 'hooks', 'stop.cjs');
/** What the Stop hook hands its input to; run in the foreground here so its own cost is measured. */
const captureWorker = join(repoRoot, 'dist', 'hooks', 'stop-worker.js');
const timeBinary = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const RUNS = 5;
const STOP_RUNS = 21;

interface Sample {
  seconds: number;
  peakKb?: number;
}

/** Wall time of `node ...args`; with `measurePeak`, run under /usr/bin/time for the peak RSS (that adds its own start-up). */
function runTimed(args: string[], env: NodeJS.ProcessEnv, input: string, cwd: string, measurePeak = false): Sample {
  const wrap = measurePeak && timeBinary !== undefined;
  const command = wrap ? [timeBinary, '-f', '%M', process.execPath, ...args] : [process.execPath, ...args];
  const started = process.hrtime.bigint();
  const result = spawnSync(command[0]!, command.slice(1), { env, input, cwd, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  const peak = wrap ? Number(result.stderr.trim().split('\n').at(-1)) : undefined;
  return { seconds, ...(peak ? { peakKb: peak } : {}) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** One user turn as 2.1.x writes it: a prompt snapshot attachment, a Write, an answer. */
function addTurn(t: TranscriptBuilder, n: number, attachmentBytes: number): void {
  t.prompt(`step ${n}: change file ${n % 50}`).attachment(attachmentBytes).write(`src/file-${n % 50}.ts`).say(`Changed file ${n % 50}.`);
}

async function buildTranscript(home: TempHome, targetBytes: number, sessionId: string) {
  const t = transcript({ cwd: home.project, sessionId, start: new Date(Date.now() - 3_600_000).toISOString(), stepMs: 10 });
  addTurn(t, 0, 60_000);
  const path = await t.saveUnder(home.paths.claudeConfigDir);
  let turn = 1;
  while ((await stat(path)).size < targetBytes) {
    for (let i = 0; i < 100; i++) addTurn(t, turn++, 60_000);
    await t.append();
  }
  return { t, path, turns: turn };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Waits until the detached worker has read the transcript to its end, then lets it exit, so the next sample
 * starts on a quiet machine (in a session turns are seconds apart).
 */
async function workerDone(home: TempHome, sessionId: string, path: string): Promise<void> {
  const { size } = await stat(path);
  const deadline = Date.now() + 30_000;
  while (readSessionState(home.paths, sessionId).scan?.offset !== size) {
    if (Date.now() > deadline) throw new Error(`the Stop hook's worker did not catch up with ${path}`);
    await sleep(20);
  }
  await sleep(250);
}

const home = await makeHome();
try {
  const env = { ...home.env };
  const sessionId = 'bench-stop';
  const { t, path } = await buildTranscript(home, 10 * 1024 * 1024, sessionId);
  const input = JSON.stringify({ session_id: sessionId, transcript_path: path, cwd: home.project, hook_event_name: 'Stop' });
  const baselines: number[] = [];
  /** The Stop hook's median wall time, each sample after `prepare` and next to a `node -e 0` sample. */
  const timeStopHook = async (prepare: () => Promise<void>): Promise<number> => {
    const samples: number[] = [];
    for (let i = 0; i < STOP_RUNS; i++) {
      await prepare();
      // node -e 0 first: after the hook, it would share the machine with the worker the hook just started.
      baselines.push(runTimed(['-e', '0'], env, '', home.project).seconds);
      samples.push(runTimed([stopHook], env, input, home.project).seconds);
      await workerDone(home, sessionId, path);
    }
    return median(samples);
  };
  const firstRun = await timeStopHook(() => rm(home.paths.stateDir, { recursive: true, force: true }));
  let turn = 200_000;
  const afterTurn = await timeStopHook(async () => {
    addTurn(t, turn++, 60_000);
    await t.append();
  });
  const baseline = median(baselines);
  const ratio = (seconds: number) => `${(seconds * 1000).toFixed(0)} ms, ${(seconds / baseline).toFixed(2)}x node -e 0`;
  console.log(`node -e 0: ${(baseline * 1000).toFixed(0)} ms (median of ${baselines.length}, each run just before a Stop hook run)`);
  console.log(`Stop hook on a 10 MB transcript, first run: ${ratio(firstRun)} (median of ${STOP_RUNS})`);
  console.log(`Stop hook after one more turn:              ${ratio(afterTurn)} (median of ${STOP_RUNS})\n`);
  console.log('Capture worker (the work behind the Stop hook, and the SessionEnd hook):');
  console.log('size     | first run   | MB/s  | peak RSS | ratio  | after one turn | ratio');
  console.log('---------|-------------|-------|----------|--------|----------------|------');
  for (const megabytes of [1, 10, 100]) {
    const sessionId = `bench-${megabytes}mb`;
    const { t, path } = await buildTranscript(home, megabytes * 1024 * 1024, sessionId);
    const size = (await stat(path)).size;
    const input = JSON.stringify({ session_id: sessionId, transcript_path: path, cwd: home.project, hook_event_name: 'Stop' });
    const first: Sample[] = [];
    for (let i = 0; i < 3; i++) {
      await rm(home.paths.stateDir, { recursive: true, force: true });
      first.push(runTimed([captureWorker], env, input, home.project, true));
    }
    // A first run reads at most READ_BUDGET_BYTES; the turns after it go on from there until it has read them all.
    const firstRead = readSessionState(home.paths, sessionId).scan?.offset ?? size;
    for (let turn = 0; turn < 10 && readSessionState(home.paths, sessionId).scan?.offset !== size; turn++) {
      runTimed([captureWorker], env, input, home.project);
    }
    const incremental: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      addTurn(t, 100_000 + i, 60_000);
      await t.append();
      incremental.push(runTimed([captureWorker], env, input, home.project).seconds);
    }
    const firstSeconds = median(first.map((s) => s.seconds));
    const peakMb = Math.max(...first.map((s) => s.peakKb ?? 0)) / 1024;
    const turnSeconds = median(incremental);
    console.log(
      [
        `${megabytes} MB`.padEnd(8),
        `${(firstSeconds * 1000).toFixed(0)} ms`.padStart(11),
        (firstRead / 1024 / 1024 / firstSeconds).toFixed(0).padStart(5),
        timeBinary ? `${peakMb.toFixed(0)} MB`.padStart(8) : '     n/a',
        `${(firstSeconds / baseline).toFixed(2)}x`.padStart(6),
        `${(turnSeconds * 1000).toFixed(0)} ms`.padStart(14),
        `${(turnSeconds / baseline).toFixed(2)}x`,
      ].join(' | '),
    );
  }
  console.log(`\nA first run reads at most ${READ_BUDGET_BYTES / 1024 / 1024} MiB (MB/s is of what it read); the next turns read the rest.`);
  console.log('Targets: the Stop hook after one turn <= 1.5x node -e 0; 100 MB from scratch < 1 s with peak RSS < 150 MB.');
} finally {
  await home.remove();
}
await benchTurnCosts();
await benchStartCost();
await benchMemorySizes();
await benchStateFolder();
