import { execFile, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, rmdir, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCliWithFault, type Fault } from './helpers/faults.js';
import { makeHomesRemovedAfterEach, repoRoot, runCli, runHookProcess, type TempHome } from './helpers/temp-home.js';

const run = promisify(execFile);

/** A sweep runs two processes per point: minutes on a loaded 2-core machine, where 60 s would fail it for being slow. */
const SWEEP_TIMEOUT_MS = 600_000;

const newHome = makeHomesRemovedAfterEach();

/** The files a project's memory folder may hold; anything else (a temp file) was left behind. */
const memoryNames = ['sessions.json', 'decisions.json', 'context.json'].flatMap((name) => [name, `${name}.bak`]).concat('.lock');

const recorded = (summary: string) =>
  JSON.stringify({ summary, adrs: [{ title: `ADR for ${summary}`, decision: 'Keep it' }], current_focus: summary, known_issues: [summary] });

function record(home: TempHome, session: string, summary = session, env: Record<string, string> = {}) {
  return runCli(home, ['record', '--session', session], recorded(summary), home.project, env);
}

/** Every file in the memory folder, by name. */
async function memoryFiles(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of await readdir(dir)) files.set(name, await readFile(join(dir, name)));
  return files;
}

async function summaries(dir: string, name = 'sessions.json'): Promise<string[]> {
  const { sessions } = JSON.parse(await readFile(join(dir, name), 'utf8')) as { sessions: { summary: string }[] };
  return sessions.map((session) => session.summary);
}

/**
 * What a user sees after a write that the disk stopped: `record` exits 1 with one line saying the disk is full
 * (or the I/O failed) and naming the real file, which is byte for byte as it was, and so is its backup; or, when
 * the failed write was one that does not matter (the lock's note of its holder), it exits 0 with the entry in.
 * Either way every file parses, nothing else is left in the folder, and every earlier entry is still there.
 */
async function expectNothingLost(
  dir: string,
  before: Map<string, Buffer>,
  result: { code: number | null; stderr: string },
  earlier: string[],
  attempted: string,
  label: string,
) {
  const after = await memoryFiles(dir);
  expect([...after.keys()].filter((name) => !memoryNames.includes(name)), `${label}: left behind`).toEqual([]);
  for (const [name, bytes] of after) {
    if (name !== '.lock') expect(() => JSON.parse(bytes.toString('utf8')), `${label}: ${name} parses`).not.toThrow();
  }
  if (result.code === 0) {
    expect(await summaries(dir), label).toEqual([...earlier, attempted]);
    return;
  }
  expect(result.code, `${label}: ${result.stderr}`).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines, label).toHaveLength(1);
  expect(lines[0], label).toMatch(/^log-session record: (the disk is full|an I\/O error)/);
  // The first path in the line: a memory file or folder, or the session's state, never a temp file.
  const named = /(?<=\s)\/[^\s,;]+/.exec(lines[0]!)?.[0] ?? '';
  expect(named, `${label}: names the real file: ${lines[0]}`).toMatch(
    /\/widget(\/(sessions|decisions|context)\.json(\.bak)?)?$|\/log-session\/(locks|sessions)(\/\w+\.json)?$/,
  );
  const name = named.slice(dir.length + 1);
  if (named.startsWith(`${dir}/`)) {
    expect(after.get(name), `${label}: ${name} is as it was`).toEqual(before.get(name));
    if (!name.endsWith('.bak')) expect(after.get(`${name}.bak`), `${label}: ${name}.bak is as it was`).toEqual(before.get(`${name}.bak`));
  }
  expect((await summaries(dir)).slice(0, earlier.length), label).toEqual(earlier);
}

describe('a full disk never costs memory an entry', () => {
  const faults: Record<string, Omit<Fault, 'at'>> = {
    'stops short': { ops: 'write', short: true },
    'fails with ENOSPC': { ops: 'write,fsync,mkdir' },
    'fails with EIO': { ops: 'write', code: 'EIO' },
  };

  /** A home whose memory and state are `seed`'s: a new repository, the store copied. */
  async function copyOfStore(seed: TempHome): Promise<TempHome> {
    const home = await newHome();
    for (const root of [seed.paths.aiconfigHome, join(seed.dir, '.local')]) {
      await cp(root, join(home.dir, root.slice(seed.dir.length)), { recursive: true });
    }
    return home;
  }

  /** Fails the record of S2 at write `at` in a copy of `seed`, checks what it left, and that the retry records it. */
  async function checkFaultAt(seed: TempHome, kind: string, at: number): Promise<boolean> {
    const home = await copyOfStore(seed);
    const dir = join(home.paths.projectsDir, 'widget');
    const before = await memoryFiles(dir);
    const result = await runCliWithFault(home, ['record', '--session', 'S2'], recorded('S2'), { ...faults[kind]!, at });
    await expectNothingLost(dir, before, result, ['S0', 'S1'], 'S2', `${kind} at call ${at}`);
    const retry = await record(home, 'S2');
    expect(retry.code, `${kind} at call ${at}, retry: ${retry.stderr}`).toBe(0);
    expect(await summaries(dir)).toEqual(['S0', 'S1', 'S2']);
    expect(await summaries(dir, 'sessions.json.bak')).toEqual(['S0', 'S1', 'S2']);
    return result.code !== 0;
  }

  it.each(Object.keys(faults))(
    'a record whose write %s at any point leaves every file whole, says so, and the retry records every entry',
    async (kind) => {
      const seed = await newHome();
      expect((await record(seed, 'S0')).code).toBe(0);
      expect((await record(seed, 'S1')).code).toBe(0);
      const { calls } = await runCliWithFault(await copyOfStore(seed), ['record', '--session', 'S2'], recorded('S2'), { ...faults[kind]!, at: 0 });
      expect(calls).toBeGreaterThan(4);
      let refused = 0;
      for (let start = 1; start <= calls; start += 4) {
        const points = Array.from({ length: Math.min(4, calls - start + 1) }, (_, index) => start + index);
        // Settled, not raced: a failed check must not remove homes that other points are still using.
        const batch = await Promise.allSettled(points.map((at) => checkFaultAt(seed, kind, at)));
        for (const outcome of batch) {
          if (outcome.status === 'rejected') throw outcome.reason;
          if (outcome.value) refused++;
        }
      }
      expect(refused).toBeGreaterThan(0);
    },
    SWEEP_TIMEOUT_MS,
  );
});

/** A 200 KiB tmpfs mounted for the test, or why it cannot be (not root, no mount here). */
async function mountSmallDisk(): Promise<{ dir: string; unmount: () => Promise<void> } | { reason: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'log-session-small-disk-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=200k,mode=0700', 'tmpfs', dir]);
  } catch (error) {
    await rmdir(dir);
    return { reason: (error as { stderr?: string }).stderr?.trim() || String(error) };
  }
  return {
    dir,
    unmount: async () => {
      await run('umount', [dir]);
      await rmdir(dir);
    },
  };
}

/** Fills `dir`'s file system until `free` bytes are left (to the page: a full last page may leave a little more). */
async function fillLeaving(dir: string, free: number): Promise<void> {
  const { bavail, bsize } = await statfs(dir);
  const size = Math.max(0, bavail * bsize - free);
  await writeFile(join(dir, 'filler'), Buffer.alloc(size)).catch(() => undefined);
}

const probe = await mountSmallDisk();
const mounted = 'dir' in probe;
if (mounted) await probe.unmount();
const skipped = mounted ? '' : ` (skipped: mounting a tmpfs is not allowed here: ${probe.reason})`;

describe('a hook whose stderr cannot be written', () => {
  it.skipIf(!existsSync('/dev/full'))('exits 0 with its stderr on a full device (2>/dev/full), and its log still has the problem', async () => {
    const home = await newHome();
    const stderr = openSync('/dev/full', 'w');
    try {
      const hook = spawnSync(process.execPath, [join(repoRoot, 'dist', 'hooks', 'session-start.js')], {
        input: '{"cwd": 42}',
        cwd: home.project,
        env: home.env,
        stdio: ['pipe', 'pipe', stderr],
        encoding: 'utf8',
      });
      expect({ code: hook.status, stdout: hook.stdout }).toEqual({ code: 0, stdout: '' });
    } finally {
      closeSync(stderr);
    }
    expect(await readFile(home.paths.logFile, 'utf8')).toContain('hook input lacked or had a bad session_id, cwd');
  });
});

describe(`a real full disk: memory on a 200 KiB tmpfs${skipped}`, () => {
  it.skipIf(!mounted)('at every fill level a record either writes every entry or exits 1 leaving the files whole, and the next one with room records them all', async () => {
    const home = await newHome();
    const disk = await mountSmallDisk();
    if (!('dir' in disk)) throw new Error(disk.reason);
    try {
      const aiconfig = join(disk.dir, 'aiconfig');
      const env = { AICONFIG_HOME: aiconfig };
      const dir = join(aiconfig, 'memory', 'projects', 'widget');
      // About 1.2 KiB an entry: the files grow past a few pages, so cuts at 4096 and 8192 bytes are in reach.
      const long = (name: string) => `${name} ${'x'.repeat(1000)}`;
      const seeded: string[] = [];
      for (let n = 0; n < 6; n++) {
        seeded.push(long(`seed ${n}`));
        expect((await record(home, `seed-${n}`, seeded.at(-1), env)).code).toBe(0);
      }
      const seed = join(home.dir, 'seed');
      await cp(aiconfig, seed, { recursive: true });

      const outcomes: string[] = [];
      // A page (4 KiB) at a time, up to room for every file of the record.
      for (let free = 0; free <= 40 * 1024; free += 4096) {
        await rm(aiconfig, { recursive: true, force: true });
        await cp(seed, aiconfig, { recursive: true });
        await fillLeaving(disk.dir, free);
        const before = await memoryFiles(dir);
        const summary = long(`free ${free}`);
        const result = await record(home, `free-${free}`, summary, env);
        outcomes.push(`${free / 1024} KiB free: ${result.code === 0 ? 'recorded' : `exit ${result.code}`}`);
        await expectNothingLost(dir, before, result, seeded, summary, `${free} bytes free`);

        await rm(join(disk.dir, 'filler'));
        const later = await record(home, `free-${free}`, summary, env);
        expect(later.code, `${free} bytes free, then room: ${later.stderr}`).toBe(0);
        expect(await summaries(dir)).toEqual([...seeded, summary]);
      }
      console.log(`record on a 200 KiB tmpfs, by free space left:\n  ${outcomes.join('\n  ')}`);
      expect(outcomes.some((outcome) => outcome.endsWith('exit 1'))).toBe(true);
      expect(outcomes.some((outcome) => outcome.endsWith('recorded'))).toBe(true);
    } finally {
      await disk.unmount();
    }
  }, SWEEP_TIMEOUT_MS);

  it.skipIf(!mounted)('a hook on a full disk exits 0, says so in one line and in its log, and leaves memory whole', async () => {
    const home = await newHome();
    const disk = await mountSmallDisk();
    if (!('dir' in disk)) throw new Error(disk.reason);
    try {
      const env = { AICONFIG_HOME: join(disk.dir, 'aiconfig') };
      expect((await record(home, 'S0', 'S0', env)).code).toBe(0);
      const dir = join(disk.dir, 'aiconfig', 'memory', 'projects', 'widget');
      const before = await memoryFiles(dir);
      await fillLeaving(disk.dir, 0);
      const hook = await runHookProcess(home, 'session-end-worker.js', { session_id: 'S1', cwd: home.project, hook_event_name: 'SessionEnd' }, env);
      expect(hook).toMatchObject({ code: 0, stdout: '' });
      expect(hook.stderr).toMatch(/^log-session SessionEnd hook: the disk is full: .*\/memory\/projects\/widget\/sessions\.json.*; see .*log-session\.log\n$/);
      expect(await readFile(home.paths.logFile, 'utf8')).toContain('the disk is full');
      // The lock file holds only the note of its last holder, this hook: memory is the rest.
      const after = await memoryFiles(dir);
      for (const files of [before, after]) files.delete('.lock');
      expect(after).toEqual(before);
    } finally {
      await disk.unmount();
    }
  });
});
