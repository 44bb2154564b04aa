/**
 * Codex CLI end to end: real `codex exec` sessions (e2e/agents, against the fake Responses API on loopback) in a
 * temp HOME where log-session was installed for Claude Code and Codex by our built CLI, then a Claude Code session
 * in the same project. The project has no origin and no package.json, so its name is its folder's: `project`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, LOG_SESSION_CLI, makeTempProject, runClaude, runLogSession, waitForProcessesOfHome, type TempProject } from './claude-session.js';
import { runCodex, writeCodexConfig, type CodexRun } from './codex-session.js';
import { instructionsText, startFakeResponsesApi, type FakeResponsesApi } from './fake-responses-api.js';
import { contentText, startFakeMessagesApi } from './fake-messages-api.js';

let api: FakeResponsesApi;
let project: TempProject;
let configBefore: string;
let first: CodexRun;

beforeAll(async () => {
  api = await startFakeResponsesApi();
  project = await makeTempProject({ 'README.md': '# demo\n', 'edit-me.txt': 'one\ntwo\n', 'fail-me.txt': 'keep\n' });
  configBefore = await readFile(await writeCodexConfig(project.home, api.url), 'utf8');
  const installed = await runLogSession(project, 'install', '--client', 'all');
  expect(installed.stderr).toBe('');
  expect(installed.code).toBe(0);

  api.script(
    [
      { patch: '*** Begin Patch\n*** Add File: notes/new.md\n+hello\n*** End Patch\n' },
      { patch: '*** Begin Patch\n*** Update File: edit-me.txt\n@@\n one\n-two\n+TWO\n*** End Patch\n' },
      { patch: '*** Begin Patch\n*** Update File: fail-me.txt\n@@\n-no such line\n+x\n*** End Patch\n' },
      { exec: 'echo "from the shell" >> README.md' },
      { text: 'All four done.' },
    ],
    'Do the four edits.',
  );
  first = await runCodex({ home: project.home, cwd: project.cwd, prompt: 'Do the four edits.' });
  await waitForProcessesOfHome(project.home);
});

afterAll(async () => {
  await api?.close();
  await project?.cleanup();
});

function memoryFile(name: string): string {
  return join(project.home, 'aiconfig', 'memory', 'projects', 'project', name);
}

async function readSessions(): Promise<Record<string, unknown>[]> {
  const path = memoryFile('sessions.json');
  if (!existsSync(path)) return [];
  const value = JSON.parse(await readFile(path, 'utf8')) as unknown;
  return Array.isArray(value) ? (value as Record<string, unknown>[]) : ((value as { sessions?: Record<string, unknown>[] }).sessions ?? []);
}

describe('a Codex session', () => {
  it('ran: three patches tried, one failed, and a shell change', async () => {
    expect(first, `${first.stdout}\n${first.stderr}`).toMatchObject({ exitCode: 0, timedOut: false });
    expect(first.sessionId).toBeDefined();
    expect(await git(project.cwd, 'status', '--porcelain')).toBe(' M README.md\n M edit-me.txt\n?? notes/\n');
    expect(await readFile(join(project.cwd, 'fail-me.txt'), 'utf8')).toBe('keep\n');
  });

  it("leaves one entry with exactly its files (the failed patch's left out), client other, tagged codex", async () => {
    const entries = await readSessions();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ client: 'other', tags: ['codex'], files_modified: ['README.md', 'edit-me.txt', 'notes/new.md'] });
    expect(entries[0]!.summary).toBe('Asked: Do the four edits. Outcome: All four done.');
  });
});

describe('the next Codex session', () => {
  let second: CodexRun;
  let recorded: { stdout: string } = { stdout: '' };

  beforeAll(async () => {
    // The model logs this session through the skill's command: record finds the session by $CODEX_THREAD_ID.
    api.script(
      [
        { exec: `node ${LOG_SESSION_CLI} record --summary "Read the brief and logged it." --tag brief` },
        { text: 'Logged.' },
      ],
      'Second session.',
    );
    second = await runCodex({ home: project.home, cwd: project.cwd, prompt: 'Second session.' });
    await waitForProcessesOfHome(project.home);
    const output = api.requestsFor('Second session.').at(-1)?.body?.input?.find((item) => item.type === 'function_call_output');
    recorded = { stdout: String(output?.output ?? '') };
  });

  it('gets the brief of the first in its first request, naming Codex as the agent that did it', () => {
    expect(second, `${second.stdout}\n${second.stderr}`).toMatchObject({ exitCode: 0, timedOut: false });
    const told = instructionsText(api.requestsFor('Second session.')[0]?.body?.input ?? []);
    expect(told).toContain('Project memory for project');
    expect(told).toMatch(/\n- \d{4}-\d{2}-\d{2} \d{2}:\d{2}, by codex, [^\n]*"Asked: Do the four edits\. Outcome: All four done\."/);
  });

  it("records into its own entry from inside Codex: record finds the session by the agent's variable", async () => {
    expect(recorded.stdout).toContain('Session logged to:');
    const entries = await readSessions();
    expect(entries).toHaveLength(2);
    expect(entries[1]).toMatchObject({ client: 'other', tags: ['codex', 'brief'], summary: 'Read the brief and logged it.' });
  });
});

describe('a Claude Code session in the same project', () => {
  it('is told what the Codex sessions did, and by which agent', async () => {
    const messages = await startFakeMessagesApi();
    try {
      const claude = await runClaude({ home: project.home, cwd: project.cwd, apiUrl: messages.url, prompt: 'What happened here?' });
      expect(claude, `${claude.stdout}\n${claude.stderr}`).toMatchObject({ exitCode: 0, timedOut: false });
      const first = messages.messageRequests(claude.sessionId)[0];
      const told = (first?.body?.messages ?? []).map((message) => contentText(message.content)).join('\n');
      expect(told).toMatch(/\n- \d{4}-\d{2}-\d{2} \d{2}:\d{2}, by codex, [^\n]*"Read the brief and logged it\."/);
      expect(told).toMatch(/\n- \d{4}-\d{2}-\d{2} \d{2}:\d{2}, by codex, [^\n]*"Asked: Do the four edits\./);
    } finally {
      await waitForProcessesOfHome(project.home);
      await messages.close();
    }
  });
});

describe('install and uninstall for Codex', () => {
  it('a second install changes nothing; uninstall gives back config.toml byte for byte and removes what it added', async () => {
    const hooks = join(project.home, '.codex', 'hooks.json');
    const config = join(project.home, '.codex', 'config.toml');
    const installed = [await readFile(hooks, 'utf8'), await readFile(config, 'utf8')];
    expect((await runLogSession(project, 'install', '--client', 'codex')).code).toBe(0);
    expect([await readFile(hooks, 'utf8'), await readFile(config, 'utf8')]).toEqual(installed);
    const removed = await runLogSession(project, 'uninstall', '--client', 'codex');
    expect(removed.code).toBe(0);
    expect(await readFile(config, 'utf8')).toBe(configBefore);
    expect(existsSync(hooks)).toBe(false);
    expect(existsSync(join(project.home, '.codex', 'skills', 'log-session'))).toBe(false);
  });
});
