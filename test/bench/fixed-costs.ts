/**
 * The fixed costs whose targets are ratios to `node -e 0` near their line, measured in pairs: each run of the
 * command next to a run of `node -e 0`, the ratio taken pair by pair and its median reported (a machine whose speed
 * drifts during the bench moves both halves of a pair alike; medians of separate runs swung 1.3x-1.6x). With each,
 * its floor: Node running just the `git status` the hook takes, nothing else (the snapshot that keeps what was
 * dirty before a session out of it). Memory of 10 sessions. `npm run bench` runs it; alone:
 * `npm run build && npx tsx test/bench/fixed-costs.ts`.
 */
import { join } from 'node:path';
import { sessionEntries, writeSessionsFile } from '../helpers/memory-builder.js';
import { builtCli, makeHome, repoRoot } from '../helpers/temp-home.js';
import { transcript } from '../helpers/transcript-builder.js';
import { measure, type Cost } from './process-cost.js';

const PAIRS = 21;
const hook = (name: string) => join(repoRoot, 'dist', 'hooks', name);

/** The median of `run`'s cost over `node -e 0`'s, pair by pair, and `run`'s median CPU. */
function pairedRatio(run: (pair: number) => Cost, cwd: string): { ratio: number; cpu: number } {
  const ratios: number[] = [];
  const cpus: number[] = [];
  for (let pair = 0; pair < PAIRS; pair++) {
    const cost = run(pair);
    const node = measure(['-e', '0'], {}, '', cwd);
    ratios.push(cost.cpu / node.cpu);
    cpus.push(cost.cpu);
  }
  const middle = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { ratio: middle(ratios), cpu: middle(cpus) };
}

export async function benchFixedCosts(): Promise<void> {
  const home = await makeHome();
  try {
    const cwd = home.project;
    await writeSessionsFile(home, sessionEntries(10));
    measure([builtCli, 'record', '--session', 'migration'], home.env, JSON.stringify({ summary: 'migration' }), cwd);
    const t = transcript({ cwd, sessionId: 'quiet', start: new Date(Date.now() - 3_600_000).toISOString(), stepMs: 1000 });
    for (let n = 0; n < 5; n++) t.prompt(`step ${n}: fix the parser`).write(`src/parser-${n}.ts`).say(`Fixed part ${n}.`);
    const transcriptPath = await t.saveUnder(home.paths.claudeConfigDir);
    const quietInput = JSON.stringify({ session_id: 'quiet', transcript_path: transcriptPath, cwd });
    for (let run = 0; run < 3; run++) measure([hook('stop-worker.js')], home.env, quietInput, cwd);

    // A new session each run, its transcript not written yet, as at a real start.
    const startInput = (pair: number) =>
      JSON.stringify({ session_id: `start-${pair}`, transcript_path: join(home.paths.claudeConfigDir, 'projects', 'new', `start-${pair}.jsonl`), cwd, hook_event_name: 'SessionStart', source: 'startup' });
    const status = `require('node:child_process').spawnSync('git', ['--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=all'])`;
    const rows = [
      ['SessionStart, a new session', pairedRatio((pair) => measure([hook('session-start.js')], home.env, startInput(pair), cwd), cwd)],
      ['turn with nothing new (Stop\'s worker)', pairedRatio(() => measure([hook('stop-worker.js')], home.env, quietInput, cwd), cwd)],
      ['floor: Node running one git status', pairedRatio(() => measure(['-e', status], home.env, '', cwd), cwd)],
    ] as const;
    console.log(`\nFixed costs at 10 sessions, each run paired with a run of node -e 0: median of ${PAIRS} pairs' ratios (CPU of the process tree)`);
    for (const [what, { ratio, cpu }] of rows) console.log(`${what.padEnd(40)} ${cpu.toFixed(3)} s, ${ratio.toFixed(2)}x node -e 0`);
    console.log('Targets: SessionStart and the turn with nothing new <= 1.5x node -e 0.');
  } finally {
    await home.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchFixedCosts();
