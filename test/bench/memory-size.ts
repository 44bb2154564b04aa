/**
 * What a project's age costs: generated memory of 10, 1,000, 10,000 and 50,000 sessions of realistic entries
 * (~1.3 KB each, test/helpers/memory-builder.ts), already in the bounded layout (the migration of the generated
 * sessions.json is done once before measuring), and for each size the CPU time of the whole process tree (user +
 * system, children included, from wait4: process-cost.ts) and peak RSS of: a capture after one more turn (the Stop hook's
 * worker, also what SessionEnd runs), `record`, SessionStart and `recall "auth token refresh"` (its index cached;
 * the run that builds it is shown apart), and the bytes a turn writes (every memory and state file it replaced).
 * Ratios are to a run of `node -e 0` made right after each run (process-cost.ts: measurePaired), their median
 * reported. `npm run bench` runs it after the Stop hook bench; alone:
 * `npm run build && npx tsx test/bench/memory-size.ts`.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sessionEntries, writeSessionsFile } from '../helpers/memory-builder.js';
import { measure, measurePaired, median, type Cost } from './process-cost.js';
import { builtCli, makeHome, repoRoot, type TempHome } from '../helpers/temp-home.js';
import { transcript, type TranscriptBuilder } from '../helpers/transcript-builder.js';

const SIZES = (process.env.BENCH_SIZES ?? '10,1000,10000,50000').split(',').map(Number);
const RUNS = 5;
const hook = (name: string) => join(repoRoot, 'dist', 'hooks', name);

/** Every file under `folders` with its size and modification time. */
async function filesUnder(folders: string[]): Promise<Map<string, { size: number; mtimeMs: number }>> {
  const files = new Map<string, { size: number; mtimeMs: number }>();
  for (const folder of folders) {
    for (const name of await readdir(folder, { recursive: true }).catch(() => [] as string[])) {
      const info = await stat(join(folder, name)).catch(() => undefined);
      if (info?.isFile()) files.set(join(folder, name), { size: info.size, mtimeMs: info.mtimeMs });
    }
  }
  return files;
}

/** Bytes of the files that are new or replaced between two listings (files are replaced whole). */
function bytesWritten(before: Map<string, { size: number; mtimeMs: number }>, after: Map<string, { size: number; mtimeMs: number }>): number {
  let bytes = 0;
  for (const [path, info] of after) if (before.get(path)?.mtimeMs !== info.mtimeMs) bytes += info.size;
  return bytes;
}

function addTurn(t: TranscriptBuilder, n: number): void {
  t.prompt(`step ${n}: fix the auth token refresh`).write(`src/auth/file-${n % 20}.ts`).say(`Fixed file ${n % 20}.`);
}

interface Row {
  sessions: number;
  capture: Cost;
  record: Cost;
  start: Cost;
  recall: Cost;
  recallBuild: Cost;
  bytesPerTurn: number;
}

async function measureSize(home: TempHome, sessions: number): Promise<Row> {
  const env = { ...home.env };
  const cwd = home.project;
  await writeSessionsFile(home, sessionEntries(sessions));
  // The migration, once, as the first write after an upgrade does it; not measured.
  measure([builtCli, 'record', '--session', 'migration'], env, JSON.stringify({ summary: 'migration' }), cwd);

  const sessionId = `bench-${sessions}`;
  const t = transcript({ cwd, sessionId, start: new Date(Date.now() - 3_600_000).toISOString(), stepMs: 1000 });
  for (let n = 0; n < 5; n++) addTurn(t, n);
  const transcriptPath = await t.saveUnder(home.paths.claudeConfigDir);
  const input = (event: string, id = sessionId) => JSON.stringify({ session_id: id, transcript_path: transcriptPath, cwd, hook_event_name: event, source: 'startup' });
  measure([hook('session-start.js')], env, input('SessionStart'), cwd);
  measure([hook('stop-worker.js')], env, input('Stop'), cwd);

  const captures: Cost[] = [];
  const bytes: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    addTurn(t, 100 + run);
    await t.append();
    const before = await filesUnder([home.paths.projectsDir, home.paths.stateDir]);
    captures.push(measurePaired([hook('stop-worker.js')], env, input('Stop'), cwd));
    bytes.push(bytesWritten(before, await filesUnder([home.paths.projectsDir, home.paths.stateDir])));
  }
  const records = Array.from({ length: RUNS }, (_, run) =>
    measurePaired([builtCli, 'record', '--session', sessionId], env, JSON.stringify({ summary: `Fixed the auth token refresh, take ${run}.` }), cwd),
  );
  // A new session in the same project: its transcript does not exist yet, as at a real start.
  const starts = Array.from({ length: RUNS }, (_, run) =>
    measurePaired([hook('session-start.js')], env, JSON.stringify({ ...JSON.parse(input('SessionStart', `bench-start-${run}`)), transcript_path: join(dirname(transcriptPath), `bench-start-${run}.jsonl`) }), cwd),
  );
  const recallArgs = [builtCli, 'recall', 'auth token refresh'];
  const recallBuild = measure(recallArgs, env, '', cwd);
  const recalls = Array.from({ length: RUNS }, () => measurePaired(recallArgs, env, '', cwd));
  return {
    sessions,
    capture: median(captures),
    record: median(records),
    start: median(starts),
    recall: median(recalls),
    recallBuild,
    bytesPerTurn: [...bytes].sort((a, b) => a - b)[Math.floor(bytes.length / 2)]!,
  };
}

export async function benchMemorySizes(): Promise<void> {
  const rows: Row[] = [];
  for (const sessions of SIZES) {
    const home = await makeHome();
    try {
      rows.push(await measureSize(home, sessions));
    } finally {
      await home.remove();
    }
  }
  const first = rows[0]!;
  // Ratios of paired ratios: at 50,000 against at 10, each first taken against the node -e 0 run beside it.
  const cell = (cost: Cost, versus: Cost) => `${cost.cpu.toFixed(2)} s, ${cost.ratio!.toFixed(1)}x node, ${(cost.ratio! / versus.ratio!).toFixed(2)}x at ${first.sessions}, ${cost.peakMb.toFixed(0)} MB`;
  console.log(`\nMemory size: CPU time of the whole process tree (user + system), median of ${RUNS}, each run paired with a run of node -e 0 (x node: the median of the pairs' ratios)`);
  console.log('sessions | capture after one more turn | record | SessionStart | recall "auth token refresh" (index cached) | recall, building its index | bytes written per turn');
  console.log('---|---|---|---|---|---|---');
  for (const row of rows) {
    console.log(
      [
        row.sessions.toLocaleString('en'),
        cell(row.capture, first.capture),
        cell(row.record, first.record),
        cell(row.start, first.start),
        cell(row.recall, first.recall),
        `${row.recallBuild.cpu.toFixed(2)} s, ${row.recallBuild.peakMb.toFixed(0)} MB`,
        `${(row.bytesPerTurn / 1024).toFixed(0)} KB`,
      ].join(' | '),
    );
  }
  console.log('Targets at 50,000: capture and record <= 1.5x their cost at 10, peak RSS < 150 MB, < 2 MB written a turn;');
  console.log('SessionStart <= 1.5x its cost at 10; recall <= 3x node -e 0.');
}

/** Sessions of the last week whose states a SessionStart finds: `claude -p` in a loop makes hundreds a day. */
const WEEK_OF_SESSIONS = 1000;

/**
 * SessionStart beside a week of sessions that are over: each captured to its end, its agent process gone. The first
 * start after them reads each state once and retires it; the starts after that read none.
 */
export async function benchStateFolder(): Promise<void> {
  const home = await makeHome();
  try {
    const cwd = home.project;
    const t = transcript({ cwd, sessionId: 'week-0', start: new Date(Date.now() - 3_600_000).toISOString(), stepMs: 1000 });
    for (let n = 0; n < 5; n++) addTurn(t, n);
    const transcriptPath = await t.saveUnder(home.paths.claudeConfigDir);
    const input = (id: string) => JSON.stringify({ session_id: id, transcript_path: join(dirname(transcriptPath), `${id}.jsonl`), cwd, hook_event_name: 'SessionStart', source: 'startup' });
    measure([hook('session-start.js')], home.env, JSON.stringify({ session_id: 'week-0', transcript_path: transcriptPath, cwd, hook_event_name: 'SessionStart', source: 'startup' }), cwd);
    measure([hook('stop-worker.js')], home.env, JSON.stringify({ session_id: 'week-0', transcript_path: transcriptPath, cwd }), cwd);
    const states = join(home.paths.stateDir, 'sessions');
    const saved = JSON.parse(await readFile(join(states, 'week-0.json'), 'utf8')) as Record<string, unknown>;
    const clean = Array.from({ length: RUNS }, (_, run) => measurePaired([hook('session-start.js')], home.env, input(`clean-${run}`), cwd));

    // Each session of the week: the first one's transcript and state, under its own id, run by an agent that exited
    // (a shell that read its own /proc entry: the hooks above were run by the bench itself, which still runs).
    const stat = spawnSync('sh', ['-c', 'cat /proc/$$/stat'], { encoding: 'utf8' }).stdout;
    const agentProcess = { pid: Number(stat.slice(0, stat.indexOf(' '))), start: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]), since: new Date().toISOString() };
    for (let n = 1; n <= WEEK_OF_SESSIONS; n++) {
      const path = join(dirname(transcriptPath), `week-${n}.jsonl`);
      await copyFile(transcriptPath, path);
      await writeFile(join(states, `week-${n}.json`), JSON.stringify({ ...saved, sessionKey: `week-${n}`, transcriptPath: path, agentProcess }));
    }
    // Each start reads and retires what its catch-up budget allows, until the folder holds only open sessions.
    const first = measurePaired([hook('session-start.js')], home.env, input('after-week-0'), cwd);
    let starts = 1;
    while ((await readdir(states)).length > starts + RUNS + 2 && starts < 20) measure([hook('session-start.js')], home.env, input(`after-week-${starts++}`), cwd);
    // A start within 2 s of the week's transcripts appearing looks at them again (a scan's margin: catch-up.ts); the
    // starts after are what every later day sees.
    await new Promise((done) => setTimeout(done, 2_500));
    const later = Array.from({ length: RUNS }, (_, run) => measurePaired([hook('session-start.js')], home.env, input(`later-${run}`), cwd));
    const ratio = (cost: Cost) => `${cost.cpu.toFixed(3)} s, ${cost.ratio!.toFixed(2)}x node -e 0`;
    console.log(`\nSessionStart beside ${WEEK_OF_SESSIONS.toLocaleString('en')} sessions of this week that are over, found at once (median of ${RUNS}, each paired with a run of node -e 0):`);
    console.log(`without them ${ratio(median(clean))}; the first start after them ${ratio(first)}; ${starts} starts retired them all; a start after that ${ratio(median(later))}`);
  } finally {
    await home.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchMemorySizes();
  await benchStateFolder();
}
