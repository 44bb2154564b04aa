import { cp, mkdir, mkdtemp, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../lib/paths.js';
import { runCliWithFault } from './helpers/faults.js';
import { makeHome, runCli, type TempHome } from './helpers/temp-home.js';

const homes: TempHome[] = [];
afterEach(async () => {
  await Promise.all(homes.splice(0).map((home) => home.remove()));
});

const recorded = {
  summary: 'Chose zod for validation.',
  adrs: [{ title: 'Use zod', decision: 'Validate input with zod' }],
  current_focus: 'validation',
  known_issues: ['Flaky CI'],
};

/** A home whose project has one session recorded (S0). */
async function recordedHome(): Promise<TempHome> {
  const home = await makeHome();
  homes.push(home);
  expect((await runCli(home, ['record', '--session', 'S0', '--summary', 'Earlier work.'])).code).toBe(0);
  return home;
}

/** A copy of `seed` in a new folder: the same repository and memory, without running git and record again. */
async function copyHome(seed: TempHome): Promise<TempHome> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'log-session-')));
  await cp(seed.dir, dir, { recursive: true });
  const env = { ...seed.env, HOME: dir };
  const home = { dir, project: join(dir, 'work', 'widget'), env, paths: resolvePaths(env), remove: () => rm(dir, { recursive: true, force: true }) };
  homes.push(home);
  return home;
}

/**
 * How a run of `record` for session S1 goes wrong: an fs call on memory or state fails with ENOSPC (any step:
 * open, write, fsync, rename, mkdir, read), or the process is SIGKILLed at it (only renames and mkdirs change what
 * is on disk, so a kill anywhere else leaves what a kill at one of them does).
 */
const failures = {
  fails: { ops: 'open,write,fsync,rename,mkdir,readFile' },
  'is killed': { ops: 'rename,mkdir', kill: true },
};
type Failure = keyof typeof failures;

async function recordFailingAt(home: TempHome, at: number, failure: Failure): Promise<number> {
  return (await runCliWithFault(home, ['record', '--session', 'S1'], JSON.stringify(recorded), { ...failures[failure], at })).calls;
}

async function readMemory(home: TempHome) {
  const dir = join(home.paths.projectsDir, 'widget');
  const read = async (name: string) => JSON.parse(await readFile(join(dir, name), 'utf8').catch(() => '{}')) as Record<string, any>;
  const [sessions, decisions, context] = [await read('sessions.json'), await read('decisions.json'), await read('context.json')];
  return {
    sessions: (sessions.sessions ?? []) as { id: string; summary: string }[],
    decisions: (decisions.decisions ?? []) as { id: string; title: string; related_sessions: string[] }[],
    context,
    files: await readdir(dir),
  };
}

/** Fails a record at call `n`, checks memory is consistent, retries it and checks it converged to one clean run. */
async function checkFailureAt(seed: TempHome, n: number, failure: Failure): Promise<void> {
  const home = await copyHome(seed);
  await recordFailingAt(home, n, failure);

  const broken = await readMemory(home);
  const ids = broken.sessions.map((session) => session.id);
  expect(broken.sessions[0]?.summary, `call ${n}: the earlier entry survives`).toBe('Earlier work.');
  for (const adr of broken.decisions) expect(ids, `call ${n}: an ADR links a missing entry`).toEqual(expect.arrayContaining(adr.related_sessions));
  if (broken.context.current_focus === 'validation') expect(broken.sessions, `call ${n}: focus without its entry`).toHaveLength(2);

  const retry = await runCli(home, ['record', '--session', 'S1'], JSON.stringify(recorded));
  expect(retry.code, `call ${n}: ${retry.stderr}`).toBe(0);
  const after = await readMemory(home);
  expect(after.sessions.map((session) => session.summary), `call ${n}`).toEqual(['Earlier work.', recorded.summary]);
  expect(after.decisions.map((adr) => [adr.title, adr.related_sessions]), `call ${n}`).toEqual([['Use zod', [after.sessions[1]!.id]]]);
  expect(after.context.current_focus, `call ${n}`).toBe('validation');
  expect(after.context.known_issues, `call ${n}`).toHaveLength(1);
  expect(after.files.filter((name) => name.includes('corrupt')), `call ${n}`).toEqual([]);
}

/**
 * Runs `check` on every item, `limit` at a time: each check starts as soon as one ends. A failure stops new checks
 * and is thrown once the running ones have ended: settled, not raced, so no home is removed while a writer uses it.
 */
async function eachAtOnce<T>(items: T[], limit: number, check: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const failures: unknown[] = [];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined && failures.length === 0; item = queue.shift()) {
      await check(item).catch((error: unknown) => failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  if (failures.length) throw failures[0];
}

describe('a record that fails part-way', () => {
  it.each(Object.keys(failures) as Failure[])(
    'when it %s at any fs call, memory stays consistent and one retry leaves exactly one entry, one ADR and the new focus',
    async (failure) => {
      const seed = await recordedHome();
      const calls = await recordFailingAt(await copyHome(seed), 0, failure);
      expect(calls).toBeGreaterThan(10);
      const points = Array.from({ length: calls }, (_, index) => index + 1);
      // 8 at once: on a busy machine more of its time goes to the sweep, on an idle one nothing is lost.
      await eachAtOnce(points, 8, (n) => checkFailureAt(seed, n, failure));
    },
    // Up to 51 failing runs and as many retries, each a real process: 45-170 s (fails) measured on a 2-core machine
    // shared with other test runs, with and without two CPU burners. The limit is for a hang, not for speed: every
    // run inside ends on its own (a lock waits 30 s at most).
    600_000,
  );

  it('a record whose sessions.json cannot be written leaves no ADR or focus of a missing entry, and the retry records once', async () => {
    const home = await recordedHome();
    const backup = join(home.paths.projectsDir, 'widget', 'sessions.json.bak');
    // A folder where the backup goes makes that write fail on every system, as root too.
    await rm(backup, { force: true });
    await mkdir(join(backup, 'blocker'), { recursive: true });
    const failed = await runCli(home, ['record', '--session', 'S1'], JSON.stringify(recorded));
    expect(failed.code).not.toBe(0);
    const broken = await readMemory(home);
    for (const adr of broken.decisions) expect(broken.sessions.map((session) => session.id)).toEqual(expect.arrayContaining(adr.related_sessions));

    await rm(backup, { recursive: true });
    expect((await runCli(home, ['record', '--session', 'S1'], JSON.stringify(recorded))).code).toBe(0);
    const after = await readMemory(home);
    expect(after.sessions.map((session) => session.summary)).toEqual(['Earlier work.', recorded.summary]);
    expect(after.decisions.map((adr) => [adr.title, adr.related_sessions])).toEqual([['Use zod', [after.sessions[1]!.id]]]);
    expect(after.context.current_focus).toBe('validation');
  });
});
