import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtCli, git, makeHomesRemovedAfterEach, runCli, type TempHome } from './helpers/temp-home.js';
import { transcript } from './helpers/transcript-builder.js';

/**
 * Two machines, each with its own HOME and ~/aiconfig cloned from one bare repository in a temp folder, record
 * sessions through the real CLI and sync through real git: the merge driver runs because git calls it.
 */

const makeHome = makeHomesRemovedAfterEach();
const remotes: string[] = [];
afterEach(async () => {
  await Promise.all(remotes.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const identity = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };
const PROJECT = 'widget';

interface Machine extends TempHome {
  aiconfig: string;
  memory: string;
}

async function makeMachines(): Promise<[Machine, Machine]> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'log-session-remote-')));
  remotes.push(dir);
  const remote = join(dir, 'aiconfig.git');
  await git(dir, 'init', '-q', '--bare', '-b', 'main', remote);
  const machines: Machine[] = [];
  for (const first of [true, false]) {
    const home = await makeHome({ originUrl: `git@github.com:acme/${PROJECT}.git` });
    Object.assign(home.env, identity);
    const aiconfig = join(home.dir, 'aiconfig');
    await git(home.dir, 'clone', '-q', remote, aiconfig);
    if (first) {
      await git(aiconfig, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '--allow-empty', '-m', 'aiconfig');
      await git(aiconfig, 'push', '-q', 'origin', 'main');
    }
    machines.push({ ...home, aiconfig, memory: join(aiconfig, 'memory', 'projects', PROJECT) });
  }
  return machines as [Machine, Machine];
}

/** A session with a transcript (started at `start`: two sessions started alike get the same entry id), recorded. */
async function record(machine: Machine, sessionId: string, input: Record<string, unknown>, start?: string): Promise<void> {
  await transcript({ cwd: machine.project, sessionId, ...(start ? { start } : {}) })
    .prompt(`Work on ${sessionId}`)
    .write(`src/${sessionId}.ts`)
    .say('Done.')
    .saveUnder(machine.paths);
  const result = await runCli(machine, ['record', '--session', sessionId], JSON.stringify(input));
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

async function sync(machine: Machine): Promise<Record<string, any>> {
  const result = await runCli(machine, ['sync', '--json']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Record<string, any>;
}

const readJson = async (machine: Machine, file: string) => JSON.parse(await readFile(join(machine.memory, file), 'utf8')) as Record<string, any>;

/** Both machines' work: same entry ids (same start), ADR-001 given out on both, focus and issues on both. */
async function workOnBoth(a: Machine, b: Machine): Promise<void> {
  await record(a, 'A1', { summary: 'Wrote the lexer.', current_focus: 'lexer', known_issues: ['slow start'], adrs: [{ title: 'Use ESM', decision: 'ESM only' }] });
  await record(a, 'A2', { summary: 'Shipped both builds.', follow_up: ['Test the CJS build'], adrs: [{ title: 'Ship ESM and CJS', decision: 'both', supersedes: 'ADR-001' }] }, '2026-01-05T11:00:00.000Z');
  await record(b, 'B1', { summary: 'Wrote the docs.', current_focus: 'docs', known_issues: ['flaky test'], adrs: [{ title: 'Use zod', decision: 'zod for shapes' }] });
  await record(b, 'B2', { summary: 'Checked the links.' }, '2026-01-05T12:00:00.000Z');
}

async function expectSameMemoryOnBoth(a: Machine, b: Machine): Promise<void> {
  for (const file of ['sessions.json', 'decisions.json', 'context.json', '.gitattributes']) {
    const dir = file.startsWith('.') ? join(a.memory, '..') : a.memory;
    const other = file.startsWith('.') ? join(b.memory, '..') : b.memory;
    expect(await readFile(join(other, file), 'utf8'), file).toBe(await readFile(join(dir, file), 'utf8'));
  }
  for (const machine of [a, b]) {
    expect(await git(machine.aiconfig, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(await git(machine.aiconfig, 'grep', '-c', '-e', '^<<<<<<<', '-e', '^>>>>>>>', 'HEAD').catch(() => 'none')).toBe('none');
  }
}

/** Every session and ADR once, the clashing ids moved on, every reference pointing at the right item. */
async function expectEverythingOnce(machine: Machine): Promise<void> {
  const { sessions } = await readJson(machine, 'sessions.json');
  const summaries = sessions.map((entry: { summary: string }) => entry.summary).sort();
  expect(summaries).toEqual(['Checked the links.', 'Shipped both builds.', 'Wrote the docs.', 'Wrote the lexer.']);
  const ids = sessions.map((entry: { id: string }) => entry.id);
  expect(new Set(ids).size).toBe(4);
  // A1 and B1 started the same second: one of them moved on by a second.
  expect(ids.filter((id: string) => id.startsWith('session-20260105-0900')).sort()).toEqual(['session-20260105-090000', 'session-20260105-090001']);
  const idOf = (summary: string) => sessions.find((entry: { summary: string }) => entry.summary === summary).id as string;

  const { decisions } = await readJson(machine, 'decisions.json');
  const adrs = Object.fromEntries(decisions.map((adr: { title: string }) => [adr.title, adr]));
  expect(Object.keys(adrs).sort()).toEqual(['Ship ESM and CJS', 'Use ESM', 'Use zod']);
  expect(new Set(decisions.map((adr: { id: string }) => adr.id))).toEqual(new Set(['ADR-001', 'ADR-002', 'ADR-003']));
  expect(adrs['Use ESM'].superseded_by).toBe(adrs['Ship ESM and CJS'].id);
  expect(adrs['Use ESM'].status).toBe('superseded');
  expect(adrs['Use ESM'].related_sessions).toEqual([idOf('Wrote the lexer.')]);
  expect(adrs['Use zod'].related_sessions).toEqual([idOf('Wrote the docs.')]);
  expect(adrs['Ship ESM and CJS'].related_sessions).toEqual([idOf('Shipped both builds.')]);

  const context = await readJson(machine, 'context.json');
  expect(context.known_issues.map((item: { issue: string }) => item.issue).sort()).toEqual(['flaky test', 'slow start']);
  expect(context.current_focus).toMatch(/^(lexer|docs) \[also written on another machine: (lexer|docs)\]$/);
}

describe('log-session sync between two machines', () => {
  it.each([
    ['a first', 0],
    ['b first', 1],
  ])('merges everything by identity, %s', async (_name, firstIndex) => {
    const machines = await makeMachines();
    await workOnBoth(...machines);
    const [first, second] = [machines[firstIndex]!, machines[1 - firstIndex]!];

    expect(await sync(first)).toMatchObject({ committed: true, merge: 'none', pushed: true });
    const merged = await sync(second);
    // A real `git merge` with a merge commit: git ran the driver on the three files both machines changed.
    expect(merged).toMatchObject({ committed: true, merge: 'merged', pushed: true });
    expect((await git(second.aiconfig, 'log', '-1', '--format=%P')).trim()).toMatch(/^\w+ \w+$/);
    expect(await sync(first)).toMatchObject({ committed: false, merge: 'fast-forward', pushed: false });

    await expectSameMemoryOnBoth(first, second);
    await expectEverythingOnce(first);
    // The moved session is the second machine's, and its bookkeeping follows: recording it again updates its entry.
    const moved = second === machines[0] ? 'A1' : 'B1';
    await record(second, moved, { summary: 'Recorded again after the sync.' });
    const { sessions } = await readJson(second, 'sessions.json');
    expect(sessions.find((entry: { id: string }) => entry.id === 'session-20260105-090001').summary).toBe('Recorded again after the sync.');
    expect(sessions).toHaveLength(4);

    const status = await runCli(second, ['status']);
    expect(status.stdout).toMatch(/^sync: {3}~\/aiconfig, merge driver set up, last run \S+: synced \(committed, merged, pushed\)$/m);
  }, 240_000);

  it('a side that does not parse is never merged: the driver fails, git\'s conflict stands, and sync changes nothing', async () => {
    const [a, b] = await makeMachines();
    await record(a, 'A1', { summary: 'Wrote the lexer.' });
    await record(b, 'B1', { summary: 'Wrote the docs.' });
    await sync(a);
    await writeFile(join(a.memory, 'sessions.json'), '{"sessions": [');
    await git(a.aiconfig, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-qam', 'a bad hand edit');
    await git(a.aiconfig, 'push', '-q', 'origin', 'main');

    const before = await readFile(join(b.memory, 'sessions.json'), 'utf8');
    const result = await runCli(b, ['sync']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^log-session sync: the merge with refs\/remotes\/origin\/main left conflicts in memory\/projects\/widget\/sessions\.json \(log-session merge-driver: memory\/projects\/widget\/sessions\.json: their version does not parse .*\); nothing changed here/);
    expect(await readFile(join(b.memory, 'sessions.json'), 'utf8')).toBe(before);
    expect(await git(b.aiconfig, 'status', '--porcelain')).toBe('');
    expect(await git(b.aiconfig, 'log', '-1', '--format=%s')).toBe('log-session: memory\n');
  }, 240_000);

  it('a sync killed while git runs the merge driver is completed by the next sync', async () => {
    const [a, b] = await makeMachines();
    await workOnBoth(a, b);
    await sync(a);

    // Killed (with its git and the driver) the moment git hands the driver its first file: an event, not a delay.
    const killed = await new Promise<number | null>((done, fail) => {
      const child = spawn(process.execPath, [builtCli, 'sync'], { cwd: b.project, env: b.env, detached: true, stdio: 'ignore' });
      const watcher = watch(b.aiconfig, (_event, name) => {
        if (!String(name).startsWith('.merge_file_')) return;
        watcher.close();
        process.kill(-child.pid!, 'SIGKILL');
      });
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? done(code) : fail(new Error(`sync ended on its own (${code})`))));
    });
    expect(killed).toBeNull();
    const journal = JSON.parse(await readFile(join(b.paths.stateDir, 'sync.json'), 'utf8'));
    expect(journal.running).toBeDefined();

    const completed = await sync(b);
    expect(completed.merge).toBe('merged');
    expect(completed.pushed).toBe(true);
    await sync(a);
    await expectSameMemoryOnBoth(a, b);
    await expectEverythingOnce(b);
    expect(await readdir(b.aiconfig)).not.toContainEqual(expect.stringMatching(/^\.merge_file_/));
  }, 240_000);

  it('--dry-run says what it would set up and commit, and changes nothing', async () => {
    const [a] = await makeMachines();
    await record(a, 'A1', { summary: 'Wrote the lexer.' });
    const result = await runCli(a, ['sync', '--dry-run']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        'Would sync ~/aiconfig.',
        'Would set up: ~/aiconfig/memory/projects/.gitattributes: sessions.json merge=log-session, sessions-*.json merge=log-session, decisions.json merge=log-session, context.json merge=log-session; ~/aiconfig/memory/projects/.gitignore: .lock, *.json.*; git config merge.log-session.driver',
        'Would commit: memory/projects/widget/context.json, memory/projects/widget/sessions.json',
        '',
      ].join('\n'),
    );
    expect(await git(a.aiconfig, 'status', '--porcelain', '--ignored')).toBe('?? memory/\n');
    expect(await git(a.aiconfig, 'config', '--get-regexp', '^merge\\.').catch(() => 'none')).toBe('none');
  }, 240_000);

  it('offline: a clear message, the memory committed here, and the next sync sends it', async () => {
    const [a] = await makeMachines();
    await record(a, 'A1', { summary: 'Wrote the lexer.' });
    const remote = (await git(a.aiconfig, 'remote', 'get-url', 'origin')).trim();
    await git(a.aiconfig, 'remote', 'set-url', 'origin', join(a.dir, 'unreachable.git'));
    const offline = await runCli(a, ['sync']);
    expect(offline.code).toBe(2);
    expect(offline.stderr).toMatch(/^log-session sync: could not reach origin \(.+\); memory changes are committed here and go with the next sync\n$/);
    expect((await runCli(a, ['status'])).stdout).toMatch(/^sync: .* last run \S+: failed \(could not reach origin/m);

    await git(a.aiconfig, 'remote', 'set-url', 'origin', remote);
    expect(await sync(a)).toMatchObject({ committed: false, merge: 'none', pushed: true });
    expect(await git(remote, 'show', 'main:memory/projects/widget/sessions.json')).toContain('Wrote the lexer.');
  }, 240_000);

  it('memory in no git repository is a set-up problem that says how to fix it', async () => {
    const home = await makeHome();
    const result = await runCli(home, ['sync']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `log-session sync: ${home.paths.aiconfigHome} is not in a git work tree. Make it one (git init; git remote add origin URL), or name the repository that holds ${home.paths.projectsDir} once: log-session sync --repo DIR\n`,
    );
  });
});
