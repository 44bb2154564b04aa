/**
 * Proves the e2e harness with the real Claude Code CLI and no log-session code: the fake Messages API drives
 * whole `claude -p` sessions, and hooks registered in user settings or by a locally installed plugin fire.
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentText, startFakeMessagesApi, type FakeMessagesApi, type ToolResult } from './fake-messages-api.js';
import {
  git,
  installLocalPlugin,
  makeTempProject,
  readHookCalls,
  readJsonl,
  runClaude,
  sessionStartContextHook,
  writeHookRecorder,
  writeText,
  writeUserSettings,
  type ClaudeRun,
  type HookCall,
  type TempProject,
} from './claude-session.js';

const CONTEXT_MARKER = 'harness-context-7f3a';

let api: FakeMessagesApi;
beforeAll(async () => {
  api = await startFakeMessagesApi();
});
afterAll(async () => {
  await api?.close();
});

describe('settings route: hooks in $HOME/.claude/settings.json', () => {
  let project: TempProject;
  let hookLog: string;
  let session: ClaudeRun;
  let failedEditResult: ToolResult | undefined;

  beforeAll(async () => {
    project = await makeTempProject();
    const { home, cwd } = project;
    hookLog = join(home, 'hook-calls.jsonl');
    const recorder = join(home, 'record-hook.sh');
    await writeHookRecorder(recorder, hookLog);
    const record = { type: 'command', command: `sh '${recorder}'` };
    await writeUserSettings(home, {
      hooks: {
        SessionStart: [{ hooks: [record, sessionStartContextHook(CONTEXT_MARKER)] }],
        Stop: [{ hooks: [record] }],
        SessionEnd: [{ hooks: [record] }],
      },
    });

    const file = join(cwd, 'notes.txt');
    api.script([
      { text: 'Writing notes.', tools: [{ name: 'Write', input: { file_path: file, content: 'alpha\nbeta\n' } }] },
      { tools: [{ name: 'Edit', input: { file_path: file, old_string: 'beta', new_string: 'gamma' } }] },
      { tools: [{ name: 'Edit', input: { file_path: file, old_string: 'not in the file', new_string: 'x' } }] },
      (context) => {
        failedEditResult = context.toolResults[0];
        return { tools: [{ name: 'Bash', input: { command: 'echo appended >> README.md', description: 'append' } }] };
      },
      { text: 'All done.' },
    ]);
    session = await runClaude({ home, cwd, apiUrl: api.url, prompt: 'Write and edit notes.' });
  });

  afterAll(async () => {
    await project?.cleanup();
  });

  it('runs a -p session to the end and its tools change the files', async () => {
    expect(session, session.stderr).toMatchObject({ exitCode: 0, timedOut: false });
    expect(session.stdout).toContain('All done.');
    expect(await readFile(join(project.cwd, 'notes.txt'), 'utf8')).toBe('alpha\ngamma\n');
    expect(await git(project.cwd, 'status', '--porcelain')).toBe(' M README.md\n?? notes.txt\n');
    expect(failedEditResult).toMatchObject({ isError: true, text: expect.stringContaining('String to replace not found') });
  });

  it('sends every request to POST /v1/messages?beta=true with the session id header', () => {
    const requests = api.messageRequests(session.sessionId);
    expect(requests).toHaveLength(5);
    expect(api.requests.filter((r) => r.sessionId === session.sessionId).map((r) => `${r.method} ${r.url}`)).toEqual(
      Array(5).fill('POST /v1/messages?beta=true'),
    );
    expect(requests.every((r) => r.body?.stream === true && (r.body.tools?.length ?? 0) > 0)).toBe(true);
  });

  it('fires SessionStart, Stop and SessionEnd with session_id, transcript_path and cwd', async () => {
    const calls = await readHookCalls(hookLog);
    expect(calls.map((c) => c.input.hook_event_name)).toEqual(['SessionStart', 'Stop', 'SessionEnd']);
    for (const call of calls) expectSessionHook(call, session, project.cwd);
    expect(calls[0]!.input.source).toBe('startup');
    expect(calls[1]!.input.last_assistant_message).toBe('All done.');
    expect(calls[2]!.input.reason).toBe('other');
  });

  it('writes the transcript with the tool_use and tool_result lines', async () => {
    const lines = await readJsonl(session.transcriptPath);
    const toolUses = blocksOf(lines, 'assistant', 'tool_use');
    expect(toolUses.map((b) => b.name)).toEqual(['Write', 'Edit', 'Edit', 'Bash']);
    const results = new Map(blocksOf(lines, 'user', 'tool_result').map((b) => [b.tool_use_id, b]));
    expect(toolUses.map((u) => results.get(u.id)?.is_error === true)).toEqual([false, false, true, false]);
    const failed = lines.find((l) => messageBlocks(l).some((b) => b.tool_use_id === toolUses[2]!.id));
    expect(failed?.toolUseResult).toMatch(/^Error: String to replace not found/);
    expect(new Set(lines.flatMap((l) => (l.sessionId === undefined ? [] : [l.sessionId])))).toEqual(new Set([session.sessionId]));
  });

  it("passes a SessionStart hook's additionalContext to the model as a role:system message", () => {
    const [first] = api.messageRequests(session.sessionId);
    const system = first!.body!.messages!.filter((m) => m.role === 'system').map((m) => contentText(m.content));
    expect(system.some((text) => text.includes(`SessionStart hook additional context: ${CONTEXT_MARKER}`))).toBe(true);
  });

  it('--resume appends to the same transcript under the same session id', async () => {
    const before = await readFile(session.transcriptPath, 'utf8');
    const callsBefore = (await readHookCalls(hookLog)).length;
    api.script([{ text: 'Resumed.' }]);
    const resumed = await runClaude({ ...project, apiUrl: api.url, prompt: 'Carry on.', resume: session.sessionId });
    expect(resumed, resumed.stderr).toMatchObject({ exitCode: 0, stdout: 'Resumed.\n', sessionId: session.sessionId });

    const after = await readFile(resumed.transcriptPath, 'utf8');
    expect(resumed.transcriptPath).toBe(session.transcriptPath);
    expect(after.startsWith(before)).toBe(true);
    expect(after.length).toBeGreaterThan(before.length);
    const lines = await readJsonl(resumed.transcriptPath);
    expect(lines.filter((l) => l.type === 'user' && contentText(messageContent(l)) === 'Carry on.')).toHaveLength(1);

    const last = api.messageRequests(session.sessionId).at(-1)!;
    expect(contentText(last.body!.messages![0]!.content)).toContain('Write and edit notes.');
    const calls = (await readHookCalls(hookLog)).slice(callsBefore);
    expect(calls.map((c) => [c.input.hook_event_name, c.input.source])).toEqual([
      ['SessionStart', 'resume'],
      ['Stop', undefined],
      ['SessionEnd', undefined],
    ]);
    for (const call of calls) expectSessionHook(call, session, project.cwd);
  });

  it('loads a skill from $HOME/.claude/skills with the Skill tool; its !`cmd` output reaches the model', async () => {
    await writeText(
      join(project.home, '.claude', 'skills', 'probe', 'SKILL.md'),
      '---\nname: probe\ndescription: Probe skill for the e2e harness\n---\nProbe body for ${CLAUDE_SESSION_ID}.\n\n!`echo probe-output-$((40+2))`\n',
    );
    let skillResult: ToolResult | undefined;
    api.script([
      { tools: [{ name: 'Skill', input: { skill: 'probe' } }] },
      (context) => {
        skillResult = context.toolResults[0];
        return { text: 'Skill seen.' };
      },
    ]);
    const run = await runClaude({ ...project, apiUrl: api.url, prompt: 'Use the probe skill.' });
    expect(run, run.stderr).toMatchObject({ exitCode: 0, stdout: 'Skill seen.\n' });

    const [first] = api.messageRequests(run.sessionId);
    expect(JSON.stringify(first!.body!.messages)).toContain('probe: Probe skill for the e2e harness');
    expect(skillResult).toMatchObject({ isError: false, text: 'Launching skill: probe' });
    const body = skillResult!.followingText.join('\n');
    expect(body).toContain(`Probe body for ${run.sessionId}.`);
    expect(body).toContain('probe-output-42');
    expect(body).not.toContain('!`');
  });

  it('keeps concurrent sessions apart (scripts chosen by session id)', async () => {
    const ids = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'] as const;
    for (const id of ids) {
      api.script([{ tools: [{ name: 'Write', input: { file_path: join(project.cwd, `${id}.txt`), content: id } }] }, { text: id }], { sessionId: id });
    }
    const runs = await Promise.all(ids.map((sessionId) => runClaude({ ...project, apiUrl: api.url, prompt: 'Concurrent.', sessionId })));
    for (const [i, run] of runs.entries()) {
      expect(run, run.stderr).toMatchObject({ exitCode: 0, stdout: `${ids[i]}\n` });
      expect(await readFile(join(project.cwd, `${ids[i]}.txt`), 'utf8')).toBe(ids[i]);
      expect(api.messageRequests(ids[i])).toHaveLength(2);
    }
  });

  it('ends a session at once (exit 1, message on stdout) when a scripted turn throws', async () => {
    const errorsBefore = api.errors.length;
    api.script([
      () => {
        throw new Error('scripted failure');
      },
    ]);
    const run = await runClaude({ ...project, apiUrl: api.url, prompt: 'Fail.' });
    expect(run).toMatchObject({ exitCode: 1, timedOut: false, stdout: expect.stringContaining('API Error: 400') });
    expect(api.errors.length).toBeGreaterThan(errorsBefore);
  });
});

describe('plugin route: a local directory marketplace', () => {
  let project: TempProject;

  beforeAll(async () => {
    project = await makeTempProject();
  });
  afterAll(async () => {
    await project?.cleanup();
  });

  it('installs with `claude plugin marketplace add` + `claude plugin install`, then its hooks fire in -p', async () => {
    const { root, home, cwd } = project;
    const pluginDir = join(root, 'probe-plugin');
    const hookLog = join(home, 'plugin-hook-calls.jsonl');
    await writeHookRecorder(join(pluginDir, 'hooks', 'record.sh'), hookLog);
    const record = { type: 'command', command: 'sh "${CLAUDE_PLUGIN_ROOT}/hooks/record.sh"' };
    await writeText(
      join(pluginDir, 'hooks', 'hooks.json'),
      JSON.stringify({ hooks: { SessionStart: [{ hooks: [record] }], Stop: [{ hooks: [record] }], SessionEnd: [{ hooks: [record] }] } }),
    );
    await writeText(join(pluginDir, '.claude-plugin', 'plugin.json'), JSON.stringify({ name: 'probe-plugin', version: '0.0.1', description: 'e2e probe' }));
    await writeText(
      join(pluginDir, '.claude-plugin', 'marketplace.json'),
      JSON.stringify({ name: 'probe-market', owner: { name: 'e2e' }, plugins: [{ name: 'probe-plugin', source: './', description: 'e2e probe' }] }),
    );

    const requestsBefore = api.requests.length;
    const [added, installed] = await installLocalPlugin({ home, cwd, apiUrl: api.url, marketplaceDir: pluginDir, marketplace: 'probe-market', plugin: 'probe-plugin' });
    expect(added!.stdout).toContain('Successfully added marketplace: probe-market');
    expect(installed!.stdout).toContain('Successfully installed plugin: probe-plugin@probe-market (scope: user)');
    expect(api.requests.length).toBe(requestsBefore);
    const settings = JSON.parse(await readFile(join(home, '.claude', 'settings.json'), 'utf8')) as Record<string, unknown>;
    expect(settings).toMatchObject({
      enabledPlugins: { 'probe-plugin@probe-market': true },
      extraKnownMarketplaces: { 'probe-market': { source: { source: 'directory', path: pluginDir } } },
    });

    api.script([{ text: 'Plugin session.' }]);
    const run = await runClaude({ home, cwd, apiUrl: api.url, prompt: 'Hello.' });
    expect(run, run.stderr).toMatchObject({ exitCode: 0, stdout: 'Plugin session.\n' });

    const calls = await readHookCalls(hookLog);
    expect(calls.map((c) => c.input.hook_event_name)).toEqual(['SessionStart', 'Stop', 'SessionEnd']);
    for (const call of calls) {
      expectSessionHook(call, run, cwd);
      // A directory marketplace runs the hooks from the source folder, not from the cached copy.
      expect(call.env.CLAUDE_PLUGIN_ROOT).toBe(pluginDir);
      expect(call.env.CLAUDE_PLUGIN_DATA).toBe(join(home, '.claude', 'plugins', 'data', 'probe-plugin-probe-market'));
    }
  });
});

function expectSessionHook(call: HookCall, run: ClaudeRun, cwd: string): void {
  expect(call.input).toMatchObject({ session_id: run.sessionId, transcript_path: run.transcriptPath, cwd });
  expect(call.env).toMatchObject({ CLAUDE_PROJECT_DIR: cwd, CLAUDE_CODE_SESSION_ID: run.sessionId });
}

type Line = Record<string, unknown>;
type Block = { type: string; id?: string; name?: string; tool_use_id?: string; is_error?: boolean };

function messageContent(line: Line): string | Block[] {
  const message = line.message as { content?: string | Block[] } | undefined;
  return message?.content ?? [];
}

function messageBlocks(line: Line): Block[] {
  const content = messageContent(line);
  return typeof content === 'string' ? [] : content;
}

function blocksOf(lines: Line[], lineType: string, blockType: string): Block[] {
  return lines.filter((l) => l.type === lineType).flatMap(messageBlocks).filter((b) => b.type === blockType);
}
