/**
 * What one turn costs when little or nothing happened: the Stop hook's worker after an ordinary turn, after a turn
 * that added nothing (transcript and work tree as the last capture left them), and after an ordinary turn of a
 * session that has already changed 50,000 files. CPU time of the whole process tree and peak RSS, median of RUNS,
 * each run paired with a run of `node -e 0` (the median of the pairs' ratios). `npm run bench` runs it; alone:
 * `npm run build && npx tsx test/bench/turn-cost.ts`.
 */
import { join } from 'node:path';
import { makeHome, repoRoot, type TempHome } from '../helpers/temp-home.js';
import { transcript, type TranscriptBuilder } from '../helpers/transcript-builder.js';
import { measure, measurePaired, median, type Cost } from './process-cost.js';

const RUNS = 9;
const BIG_SESSION_FILES = 50_000;
const worker = join(repoRoot, 'dist', 'hooks', 'stop-worker.js');

function addTurn(t: TranscriptBuilder, n: number): void {
  t.prompt(`step ${n}: fix the parser`).write(`src/parser-${n % 7}.ts`).say(`Fixed part ${n % 7}.`);
}

/** A session whose every turn is captured; `turn` is what happens before each measured capture. */
async function captureCosts(home: TempHome, t: TranscriptBuilder, turn: (n: number) => Promise<void>): Promise<Cost> {
  const path = await t.saveUnder(home.paths.claudeConfigDir);
  const input = JSON.stringify({ session_id: t.sessionId, transcript_path: path, cwd: home.project });
  // Catch up whatever the session holds (a read takes at most 50,000 files), so each measured run sees one turn.
  for (let run = 0; run < 3; run++) measure([worker], home.env, input, home.project);
  const costs: Cost[] = [];
  for (let run = 0; run < RUNS; run++) {
    await turn(run);
    costs.push(measurePaired([worker], home.env, input, home.project));
  }
  return median(costs);
}

const session = (home: TempHome, sessionId: string) =>
  transcript({ cwd: home.project, sessionId, start: new Date(Date.now() - 3_600_000).toISOString(), stepMs: 50 });

export async function benchTurnCosts(): Promise<void> {
  const home = await makeHome();
  try {
    const ordinary = session(home, 'ordinary');
    for (let n = 0; n < 5; n++) addTurn(ordinary, n);
    const turn = await captureCosts(home, ordinary, async (n) => {
      addTurn(ordinary, 100 + n);
      await ordinary.append();
    });
    const quiet = session(home, 'quiet');
    for (let n = 0; n < 5; n++) addTurn(quiet, n);
    const noOp = await captureCosts(home, quiet, async () => {});
    const big = session(home, 'big').prompt('generate the fixtures');
    for (let n = 0; n < BIG_SESSION_FILES; n++) big.write(`fixtures/f${n}.json`);
    const bigTurn = await captureCosts(home, big, async (n) => {
      addTurn(big, 100 + n);
      await big.append();
    });
    const cell = (cost: Cost) => `${cost.cpu.toFixed(3)} s, ${cost.ratio!.toFixed(2)}x node -e 0, ${cost.peakMb.toFixed(0)} MB`;
    console.log(`\nOne turn, the Stop hook's worker: CPU of the process tree, median of ${RUNS}, each run paired with a run of node -e 0`);
    console.log(`ordinary turn:                             ${cell(turn)}`);
    console.log(`turn with nothing new:                     ${cell(noOp)}`);
    console.log(`turn of a session with 50,000 files:       ${cell(bigTurn)}, ${(bigTurn.cpu / turn.cpu).toFixed(2)}x an ordinary turn`);
    console.log('Targets: nothing new <= 1.5x node -e 0; the 50,000-file session <= 2x an ordinary turn.');
  } finally {
    await home.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchTurnCosts();
