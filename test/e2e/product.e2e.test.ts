/**
 * The product, end to end: real `claude -p` sessions (against the fake Messages API, loopback only) in a temp HOME
 * where log-session was installed by our built CLI (settings route) or by `claude plugin install` (plugin route).
 * Memory is read back from `$HOME/aiconfig/memory/projects/<project>/sessions.json` (AICONFIG_HOME left to default).
 * The temp projects have no origin and no package.json, so the project name is the folder name.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentText, startFakeMessagesApi, type FakeMessagesApi, type RecordedRequest } from './fake-messages-api.js';
import {
  git,
  installLocalPlugin,
  makeTempProject,
  REPO_ROOT,
  runLogSession,
  runClaude,
  waitForProcessesOfHome,
  type ClaudeRun,
  type TempProject,
} from './claude-session.js';
import { transcript } from '../helpers/transcript-builder.js';
import { recordScript, type AuthoredFields, type SkillRun } from './skill-script.js';
import { appendFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';

/** The bytes of every file under `dir`. */
async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}


let api: FakeMessagesApi;
beforeAll(async () => {
  api = await startFakeMessagesApi();
});
afterAll(async () => {
  await api?.close();
});

/** Our installer into the project's temp HOME, as a user runs it. */
async function installInto(project: TempProject): Promise<void> {
  const result = await runLogSession(project, 'install');
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}


function sessionsPath(home: string, projectName: string): string {
  return join(home, 'aiconfig', 'memory', 'projects', projectName, 'sessions.json');
}

/** The entries of a project's sessions.json (array or `{sessions: […]}`); `[]` when missing. */
async function readSessions(home: string, projectName: string): Promise<Record<string, unknown>[]> {
  const path = sessionsPath(home, projectName);
  if (!existsSync(path)) return [];
  const value = JSON.parse(await readFile(path, 'utf8')) as unknown;
  if (Array.isArray(value)) return value as Record<string, unknown>[];
  return ((value as { sessions?: Record<string, unknown>[] }).sessions ?? []);
}

/** Polls until `settled(entries)` holds (the Stop worker is detached) or `timeoutMs` ran out; returns the last read. */
async function pollSessions(
  home: string,
  projectName: string,
  settled: (entries: Record<string, unknown>[]) => boolean,
  timeoutMs = 10_000,
): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let entries: Record<string, unknown>[] = [];
    try {
      entries = await readSessions(home, projectName);
    } catch {
      // mid-write is atomic, but be lenient
    }
    if (settled(entries) || Date.now() > deadline) return entries;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function expectOk(session: ClaudeRun): void {
  expect(session, `${session.stdout}\n${session.stderr}`).toMatchObject({ exitCode: 0, timedOut: false });
}

/** Every text of every message of a request (system role included). */
function allMessageText(request: RecordedRequest): string {
  return (request.body?.messages ?? []).map((m) => contentText(m.content)).join('\n');
}

function systemMessageText(request: RecordedRequest): string {
  return (request.body?.messages ?? []).filter((m) => m.role === 'system').map((m) => contentText(m.content)).join('\n');
}

const BRIEF_HEADER = 'Project memory for ';

describe('1. capture: Write, Edit, failed Edit and a Bash change to a tracked file', () => {
  let project: TempProject;
  let session: ClaudeRun;

  beforeAll(async () => {
    project = await makeTempProject({ 'README.md': '# demo\n', 'kept.txt': 'untouched\n' });
    await installInto(project);
    const notes = join(project.cwd, 'src', 'notes.txt');
    const kept = join(project.cwd, 'kept.txt');
    const sessionId = crypto.randomUUID();
    api.script(
      [
        { tools: [{ name: 'Write', input: { file_path: notes, content: 'alpha\nbeta\n' } }] },
        { tools: [{ name: 'Edit', input: { file_path: notes, old_string: 'beta', new_string: 'gamma' } }] },
        { tools: [{ name: 'Read', input: { file_path: kept } }] },
        { tools: [{ name: 'Edit', input: { file_path: kept, old_string: 'not in the file', new_string: 'x' } }] },
        { tools: [{ name: 'Bash', input: { command: 'echo x >> README.md', description: 'append' } }] },
        { text: 'All done.' },
      ],
      { sessionId },
    );
    session = await runClaude({ home: project.home, cwd: project.cwd, apiUrl: api.url, prompt: 'Capture test.', sessionId });
  });
  afterAll(async () => {
    await project?.cleanup();
  });

  it('leaves one entry whose files_modified are the written/edited file and README.md, not the failed Edit', async () => {
    expectOk(session);
    expect(await git(project.cwd, 'status', '--porcelain')).toBe(' M README.md\n?? src/\n');
    expect(await readFile(join(project.cwd, 'kept.txt'), 'utf8')).toBe('untouched\n');
    // Stop and SessionEnd hand their work to detached workers: the entry settles once they are done.
    const expected = ['README.md', 'src/notes.txt'];
    const entries = await pollSessions(
      project.home,
      'project',
      (e) => e.length === 1 && JSON.stringify(e[0]!.files_modified) === JSON.stringify(expected),
    );
    expect(entries).toHaveLength(1);
    expect(entries[0]!.files_modified).toEqual(expected);
    // Nothing late from the detached worker changes it.
    await new Promise((r) => setTimeout(r, 500));
    const later = await readSessions(project.home, 'project');
    expect(later).toHaveLength(1);
    expect(later[0]!.files_modified).toEqual(expected);
  });
});

describe('2+3. the skill records the session; the next session is briefed; a fresh project is not', () => {
  let project: TempProject;
  let first: ClaudeRun;
  let seen: SkillRun = {};
  let bashWithoutAllow: { allowed: boolean; answer: string } | undefined;
  const authored: AuthoredFields = {
    summary: 'Added the greeting module so the CLI can say hello.',
    decisions_made: [{ decision: 'Keep greetings in plain text', rationale: 'No i18n needed yet' }],
    follow_up: ['Add a test for the greeting module zx81'],
    context_for_next_session: 'Greeting module written; wire it into the CLI next (hint-qq42).',
  };

  beforeAll(async () => {
    project = await makeTempProject();
    await installInto(project);
    const sessionId = crypto.randomUUID();
    api.script(recordScript('log-session', sessionId, join(project.cwd, 'greeting.ts'), authored, seen), { sessionId });
    // Bash is NOT allowed in general: the skill's allowed-tools must permit the record command.
    first = await runClaude({
      home: project.home,
      cwd: project.cwd,
      apiUrl: api.url,
      prompt: 'Write the greeting module, then log this session.',
      sessionId,
      allowedTools: ['Write', 'Edit', 'Skill', 'Read'],
    });
    const blocked = !seen.bashResult || seen.bashResult.isError || !seen.bashResult.text.includes('Session logged to:');
    bashWithoutAllow = { allowed: !blocked, answer: seen.bashResult?.text ?? '(no Bash tool result)' };
    if (blocked) {
      // FALLBACK (reported): the skill's allowed-tools did not let the record command through; run the same
      // session again with Bash allowed so the rest of the test stays meaningful.
      seen = {};
      const retryId = crypto.randomUUID();
      api.script(recordScript('log-session', retryId, join(project.cwd, 'greeting.ts'), authored, seen), { sessionId: retryId });
      first = await runClaude({
        home: project.home,
        cwd: project.cwd,
        apiUrl: api.url,
        prompt: 'Write the greeting module, then log this session.',
        sessionId: retryId,
        allowedTools: ['Write', 'Edit', 'Skill', 'Read', 'Bash'],
      });
    }
  });
  afterAll(async () => {
    await project?.cleanup();
  });

  // JSON in a heredoc tripped Claude Code's Bash check ("Contains brace with quote character (expansion
  // obfuscation)") so allowed-tools never applied; the skill now passes the fields as options.
  it("the skill's allowed-tools lets the record command run without Bash in --allowedTools", () => {
    expect(bashWithoutAllow?.answer).not.toContain('expansion obfuscation');
    expect(bashWithoutAllow, `record command:\n${seen.recordCommand}\nCLI answered:\n${bashWithoutAllow?.answer}`).toMatchObject({ allowed: true });
  });

  it('the record command printed the block, and sessions.json holds one entry with the summary and the file', async () => {
    expectOk(first);
    expect(seen.skillResult?.isError).toBe(false);
    expect(seen.recordCommand).toContain(` record --session ${first.sessionId} --summary "${authored.summary}"`);
    expect(seen.bashResult?.isError, seen.bashResult?.text).toBe(false);
    expect(seen.bashResult?.text).toMatch(/Session logged to: [\s\S]*- Summary: Added the greeting module[\s\S]*Next session hint: Greeting module written/);
    const entries = await pollSessions(project.home, 'project', (e) =>
      e.some((x) => x.summary === authored.summary && (x.files_modified as string[]).includes('greeting.ts')),
    );
    // With the fallback there are two sessions in this project (the blocked one was captured too).
    const mine = entries.filter((e) => e.summary === authored.summary);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      summary: authored.summary,
      follow_up: authored.follow_up,
      context_for_next_session: authored.context_for_next_session,
      files_modified: ['greeting.ts'],
    });
    expect(entries).toHaveLength(bashWithoutAllow?.allowed ? 1 : 2);
  });

  it("the next session's first request carries the last session's hint and follow-ups", async () => {
    const sessionId = crypto.randomUUID();
    api.script([{ text: 'Briefed.' }], { sessionId });
    const second = await runClaude({ home: project.home, cwd: project.cwd, apiUrl: api.url, prompt: 'What next?', sessionId });
    expectOk(second);
    const [request] = api.messageRequests(sessionId);
    const system = systemMessageText(request!);
    expect(system).toContain(`${BRIEF_HEADER}project (log-session`);
    expect(system).toContain(authored.context_for_next_session);
    expect(system).toContain(authored.follow_up[0]);
    expect(system).toContain(authored.summary);
  });

  it('a fresh project (another name, same HOME) gets no brief', async () => {
    const fresh = join(project.root, 'fresh-app');
    await mkdir(fresh);
    await writeFile(join(fresh, 'README.md'), '# fresh\n');
    await git(fresh, 'init', '-q', '-b', 'main');
    const sessionId = crypto.randomUUID();
    api.script([{ text: 'Nothing known.' }], { sessionId });
    const session = await runClaude({ home: project.home, cwd: fresh, apiUrl: api.url, prompt: 'Hello there.', sessionId });
    expectOk(session);
    const [request] = api.messageRequests(sessionId);
    const text = allMessageText(request!);
    expect(text).toContain('Hello there.');
    expect(text).not.toContain(BRIEF_HEADER);
    expect(text).not.toContain('log-session recall');
    expect(text).not.toContain(authored.context_for_next_session);
  });
});

describe('4. a session whose SessionEnd never ran is completed when the next one starts', () => {
  let project: TempProject;

  beforeAll(async () => {
    project = await makeTempProject();
    await installInto(project);
  });
  afterAll(async () => {
    await project?.cleanup();
  });

  it("the next SessionStart catches up the lines appended to the earlier transcript", async () => {
    const idA = crypto.randomUUID();
    api.script([{ tools: [{ name: 'Write', input: { file_path: join(project.cwd, 'a.txt'), content: 'a\n' } }] }, { text: 'A done.' }], { sessionId: idA });
    const a = await runClaude({ home: project.home, cwd: project.cwd, apiUrl: api.url, prompt: 'Session A.', sessionId: idA });
    expectOk(a);
    const before = await pollSessions(project.home, 'project', (e) => e.length === 1 && (e[0]!.files_modified as string[]).includes('a.txt'));
    expect(before.map((e) => e.files_modified)).toEqual([['a.txt']]);
    // The detached Stop and SessionEnd workers of A are done before we extend A's transcript: no process of the HOME is left.
    await waitForProcessesOfHome(project.home);

    // The cut-off: A went on (a successful Write of late.txt) but no hook ever saw it.
    await writeFile(join(project.cwd, 'late.txt'), 'new content\n');
    const more = transcript({ cwd: project.cwd, sessionId: idA, start: new Date().toISOString() }).prompt('one more').write('late.txt').say('ok');
    // appendTo() would start a file it has not written yet from scratch: append the new lines ourselves.
    await appendFile(a.transcriptPath, more.takeUnwritten());

    const idB = crypto.randomUUID();
    api.script([{ text: 'B done.' }], { sessionId: idB });
    const b = await runClaude({ home: project.home, cwd: project.cwd, apiUrl: api.url, prompt: 'Session B.', sessionId: idB });
    expectOk(b);
    // B's own entry comes from its detached workers; A's catch-up ran in B's SessionStart, before B's first request.
    const entries = await pollSessions(project.home, 'project', (e) => e.length === 2);
    const entryA = entries.find((e) => e.id === before[0]!.id);
    expect(entryA?.files_modified).toEqual(['a.txt', 'late.txt']);
    expect(entries).toHaveLength(2);
  });
});

describe('5. plugin route: claude plugin install of the shipped plugin (plugin/, listed by this repository as a local marketplace), then a session is logged the same way', () => {
  let project: TempProject;

  beforeAll(async () => {
    project = await makeTempProject();
  });
  afterAll(async () => {
    await project?.cleanup();
  });

  it('copies only what runs into the plugin cache (under 5 MB)', async () => {
    const env = { home: project.home, apiUrl: api.url, cwd: project.cwd };
    for (const result of await installLocalPlugin({ ...env, marketplaceDir: REPO_ROOT, marketplace: 'log-session', plugin: 'log-session' })) {
      expect(result.exitCode).toBe(0);
    }
    const settings = JSON.parse(await readFile(join(project.home, '.claude', 'settings.json'), 'utf8'));
    expect(settings.enabledPlugins).toMatchObject({ 'log-session@log-session': true });
    const cache = join(project.home, '.claude', 'plugins', 'cache', 'log-session');
    const copied = await bytesUnder(cache);
    expect(copied).toBeGreaterThan(100_000);
    expect(copied).toBeLessThan(5_000_000);
    const [version] = await readdir(join(cache, 'log-session'));
    expect((await readdir(join(cache, 'log-session', version!))).sort()).toEqual(['.claude-plugin', 'LICENSE', 'dist', 'hooks', 'node_modules', 'package.json', 'skills']);
  });

  it('logs one entry with the written file, and no hook is cancelled at the end', async () => {
    const env = { home: project.home, apiUrl: api.url, cwd: project.cwd };
    const sessionId = crypto.randomUUID();
    api.script(
      [{ tools: [{ name: 'Write', input: { file_path: join(project.cwd, 'plugin.txt'), content: 'p\n' } }] }, { text: 'Plugin done.' }],
      { sessionId },
    );
    const session = await runClaude({ ...env, prompt: 'Plugin session.', sessionId });
    expectOk(session);
    expect(session.stdout).toBe('Plugin done.\n');
    // Claude Code cancels a SessionEnd hook still running after 1.5 s, whatever a plugin's timeout says.
    expect(`${session.stdout}${session.stderr}`).not.toContain('Hook cancelled');
    // The transcript's hook records name the plugin's own Stop hook command.
    expect(await readFile(session.transcriptPath, 'utf8')).toContain(JSON.stringify('node "${CLAUDE_PLUGIN_ROOT}/dist/hooks/stop.cjs"'));
    const entries = await pollSessions(project.home, 'project', (e) => e.length === 1 && JSON.stringify(e[0]!.files_modified) === '["plugin.txt"]');
    expect(entries).toHaveLength(1);
    expect(entries[0]!.files_modified).toEqual(['plugin.txt']);
  });

  it("the plugin's skill (its CLI path quoted) records a session without Bash in --allowedTools", async () => {
    const sessionId = crypto.randomUUID();
    const authored: AuthoredFields = {
      summary: 'Recorded through the plugin skill.',
      decisions_made: [{ decision: 'Ship as a plugin too', rationale: 'One command to install' }],
      follow_up: ['Publish the marketplace'],
      context_for_next_session: 'Plugin skill works (hint-pl7).',
    };
    const seen: SkillRun = {};
    api.script(recordScript('log-session:log-session', sessionId, join(project.cwd, 'skill.txt'), authored, seen), { sessionId });
    const session = await runClaude({
      home: project.home,
      cwd: project.cwd,
      apiUrl: api.url,
      prompt: 'Write it, then log this session.',
      sessionId,
      allowedTools: ['Write', 'Edit', 'Skill', 'Read'],
    });
    expectOk(session);
    expect(seen.skillResult?.isError, seen.skillResult?.text).toBe(false);
    expect(seen.recordCommand).toContain(`node "${REPO_ROOT}/plugin/dist/cli.js" record --session ${sessionId}`);
    expect(seen.bashResult?.text, seen.recordCommand).toContain('Session logged to:');
    const entries = await pollSessions(project.home, 'project', (e) => e.some((x) => x.summary === authored.summary));
    // (plugin.txt, written by the previous session a moment before, falls inside git's 2 s mtime slack.)
    expect(entries.find((x) => x.summary === authored.summary)?.files_modified).toContain('skill.txt');
  });
});
