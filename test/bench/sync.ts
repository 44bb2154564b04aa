/**
 * The time of a sync of a 10,000-session project, and of the merge driver alone on its sessions.json, next to
 * `node -e 0`. `npm run build && npx tsx test/bench/sync.ts`. Two machines (two clones of a bare repository in a
 * temp folder, each its own HOME) share 10,000 sessions and 50 ADRs, then each adds 20 sessions (5 of them with
 * the ids the other machine gave out: sessions started the same second) and 3 ADRs with the same numbers. The
 * first syncs; the second's sync is timed: fetch, moving its 5 clashing sessions on, git's merge (the driver on
 * three files), push.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measureRun } from './process-cost.js';

const cli = resolve(import.meta.dirname, '../../dist/cli.js');
const root = await mkdtemp(join(tmpdir(), 'sync-bench-'));
const identity = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };
const run = (cwd: string, command: string, args: string[], env: Record<string, string> = {}) =>
  execFileSync(command, args, { cwd, env: { PATH: process.env.PATH ?? '', TZ: 'UTC', ...identity, ...env }, encoding: 'utf8', maxBuffer: 1 << 30 });
/** Wall and CPU milliseconds (user + system, as wait4 reports them: process-cost.ts) of `node ...args`, and its stdout. */
const timed = (cwd: string, args: string[], env: Record<string, string> = {}) => {
  const { wallMs, cpu, stdout } = measureRun(args, { PATH: process.env.PATH ?? '', TZ: 'UTC', ...identity, ...env }, '', cwd);
  return { wall: wallMs, cpu: cpu * 1000, stdout };
};
const figures = (time: { wall: number; cpu: number }, base: { wall: number; cpu: number }) =>
  `${time.wall.toFixed(0)} ms wall (${(time.wall / base.wall).toFixed(1)}x node -e 0), ${time.cpu.toFixed(0)} ms CPU (${(time.cpu / Math.max(base.cpu, 10)).toFixed(1)}x)`;

const id = (n: number) => {
  const date = new Date(Date.UTC(2024, 0, 1) + n * 3_600_000);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `session-${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}-${pad(date.getUTCHours())}0000`;
};
const entry = (n: number, machine: string) => ({
  id: id(n),
  date: id(n).slice(8, 12) + '-' + id(n).slice(12, 14) + '-' + id(n).slice(14, 16),
  client: 'claude-code',
  duration_estimate: '~25min',
  summary: `Session ${n} on ${machine}: worked on module ${n % 97} and its tests.`,
  files_modified: [`src/module-${n % 97}.ts`, `test/module-${n % 97}.test.ts`],
  decisions_made: [{ decision: `Keep module ${n % 97} small`, rationale: 'it is read often' }],
  follow_up: [`Check module ${n % 97}`],
  tags: ['bench'],
  context_for_next_session: `Start from module ${n % 97}.`,
});
const adr = (n: number, machine: string) => ({
  id: `ADR-${String(n).padStart(3, '0')}`,
  date: '2026-11-30',
  title: `Decision ${n} of ${machine}`,
  decision: `Do ${n}`,
  status: 'accepted',
  related_sessions: [id(n)],
});

const SHARED = 10_000;
const machines = ['a', 'b'].map((name) => {
  const home = join(root, name);
  return { name, home, env: { HOME: home }, aiconfig: join(home, 'aiconfig'), memory: join(home, 'aiconfig', 'memory', 'projects', 'widget') };
});
const [a, b] = machines as [(typeof machines)[0], (typeof machines)[0]];
const remote = join(root, 'aiconfig.git');
run(root, 'git', ['init', '-q', '--bare', '-b', 'main', remote]);
for (const machine of machines) {
  await mkdir(machine.home, { recursive: true });
  run(root, 'git', ['clone', '-q', remote, machine.aiconfig]);
}
run(a.aiconfig, 'git', ['commit', '-q', '--allow-empty', '-m', 'aiconfig']);
run(a.aiconfig, 'git', ['push', '-q', 'origin', 'main']);
run(b.aiconfig, 'git', ['pull', '-q', 'origin', 'main']);

const write = async (machine: typeof a, sessions: unknown[], decisions: unknown[], focus: string) => {
  await mkdir(machine.memory, { recursive: true });
  await writeFile(join(machine.memory, 'sessions.json'), `${JSON.stringify({ project: 'widget', sessions }, null, 2)}\n`);
  await writeFile(join(machine.memory, 'decisions.json'), `${JSON.stringify({ project: 'widget', decisions }, null, 2)}\n`);
  await writeFile(join(machine.memory, 'context.json'), `${JSON.stringify({ project: 'widget', current_focus: focus, known_issues: [`issue of ${machine.name}`] }, null, 2)}\n`);
};
const shared = Array.from({ length: SHARED }, (_, n) => entry(n, 'both'));
const sharedAdrs = Array.from({ length: 50 }, (_, n) => adr(n + 1, 'both'));
await write(a, shared, sharedAdrs, 'shared');
run(a.home, 'node', [cli, 'sync'], a.env);
run(b.home, 'node', [cli, 'sync'], b.env);

// Each adds 20 sessions; the first 5 of each start the same hour as the other's (the same ids), and 3 ADRs, 051-053 on both.
const added = (machine: typeof a, offset: number) => Array.from({ length: 20 }, (_, n) => entry(SHARED + (n < 5 ? n : offset + n), machine.name));
await write(a, [...shared, ...added(a, 0)], [...sharedAdrs, ...[51, 52, 53].map((n) => adr(n, 'a'))], 'lexer');
await write(b, [...shared, ...added(b, 100)], [...sharedAdrs, ...[51, 52, 53].map((n) => adr(n, 'b'))], 'docs');
run(a.home, 'node', [cli, 'sync'], a.env);

// The median of 3: the first run of python3 and node in a while reads their files from disk.
const nodeAlone = [1, 2, 3].map(() => timed(b.home, ['-e', '0'])).sort((x, y) => x.wall - y.wall)[1]!;
const synced = timed(b.home, [cli, 'sync', '--json'], b.env);
const { merge, notes } = JSON.parse(synced.stdout) as { merge: string; notes: string[] };
run(a.home, 'node', [cli, 'sync'], a.env);

// The driver alone, on the three versions of sessions.json from the merge just made.
const merged = run(b.aiconfig, 'git', ['rev-list', '--parents', '-n', '1', 'HEAD']).trim().split(' ');
const versions = join(root, 'versions');
await mkdir(versions);
const path = 'memory/projects/widget/sessions.json';
const baseRev = run(b.aiconfig, 'git', ['merge-base', merged[1]!, merged[2]!]).trim();
for (const [name, rev] of [['base', baseRev], ['ours', merged[1]!], ['theirs', merged[2]!]] as const) {
  await writeFile(join(versions, name), run(b.aiconfig, 'git', ['show', `${rev}:${path}`]));
}
const driver = timed(versions, [cli, 'merge-driver', 'base', 'ours', 'theirs', path], b.env);

const sessions = (JSON.parse(run(b.aiconfig, 'git', ['show', `HEAD:${path}`])) as { sessions: unknown[] }).sessions.length;
const same = run(a.aiconfig, 'git', ['rev-parse', 'HEAD']) === run(b.aiconfig, 'git', ['rev-parse', 'HEAD']);
console.log(`node -e 0: ${nodeAlone.wall.toFixed(0)} ms wall, ${nodeAlone.cpu.toFixed(0)} ms CPU`);
console.log(`sync of ${SHARED.toLocaleString('en')} shared + 2 x 20 new sessions (${merge}): ${figures(synced, nodeAlone)}`);
console.log(`merge driver alone on sessions.json (${sessions.toLocaleString('en')} entries after): ${figures(driver, nodeAlone)}`);
console.log(`sessions moved on: ${notes.filter((note) => note.startsWith('session ')).length}; ADRs renumbered: ${notes.filter((note) => note.includes('ADR')).length}; both machines at one commit: ${same}`);
await rm(root, { recursive: true, force: true });
