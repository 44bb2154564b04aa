/**
 * SessionStart's fixed cost (memory of 10 sessions, a new session): reading git's index for the tracked files
 * already gone, and the same where the index is split and git status is asked instead (as it is for a sparse
 * index, another object format or an index over 1 MB). Each run is paired with a run of `node -e 0`, and the median
 * of the pairs' ratios reported. `npm run bench` runs it; alone: `npm run build && npx tsx test/bench/start-cost.ts`.
 */
import { join } from 'node:path';
import { sessionEntries, writeSessionsFile } from '../helpers/memory-builder.js';
import { builtCli, git, makeHome, repoRoot } from '../helpers/temp-home.js';
import { measure, measurePaired, median, type Cost } from './process-cost.js';

const PAIRS = 21;
const hook = (name: string) => join(repoRoot, 'dist', 'hooks', name);

/** `run`'s median CPU and median ratio to `node -e 0` over PAIRS pairs. */
function paired(run: (pair: number) => Cost): Cost {
  return median(Array.from({ length: PAIRS }, (_, pair) => run(pair)));
}

export async function benchStartCost(): Promise<void> {
  const home = await makeHome();
  try {
    const cwd = home.project;
    await writeSessionsFile(home, sessionEntries(10));
    measure([builtCli, 'record', '--session', 'migration'], home.env, JSON.stringify({ summary: 'migration' }), cwd);
    // A new session each run, its transcript not written yet, as at a real start.
    const startInput = (key: string) =>
      JSON.stringify({ session_id: key, transcript_path: join(home.paths.claudeConfigDir, 'projects', 'new', `${key}.jsonl`), cwd, hook_event_name: 'SessionStart', source: 'startup' });
    const start = (key: string) => paired((pair) => measurePaired([hook('session-start.js')], home.env, startInput(`${key}-${pair}`), cwd));
    const fromIndex = start('start');
    await git(cwd, 'update-index', '--split-index');
    const fromGit = start('split');
    const rows = [
      ['SessionStart, a new session', fromIndex],
      ['the same, git status asked (split index)', fromGit],
    ] as const;
    console.log(`\nSessionStart at 10 sessions, each run paired with a run of node -e 0: median of ${PAIRS} pairs' ratios (CPU of the process tree)`);
    for (const [what, { ratio, cpu }] of rows) console.log(`${what.padEnd(40)} ${cpu.toFixed(3)} s, ${ratio!.toFixed(2)}x node -e 0`);
    console.log('Target: SessionStart <= 1.5x node -e 0.');
  } finally {
    await home.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchStartCost();
