/**
 * Three agents, one project, one memory: a real Codex session and a real Gemini CLI session each change a file,
 * then a real Claude Code session starts in the same project and is told which agent did what. Each CLI runs once,
 * against its stand-in API on loopback, in a temp HOME where `install --client all` registered log-session for all
 * three. The project has no origin and no package.json, so its name is its folder's: `project`.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTempProject, runClaude, runLogSession, waitForProcessesOfHome, type TempProject } from './claude-session.js';
import { runCodex, writeCodexConfig } from './codex-session.js';
import { startFakeGeminiApi, type FakeGeminiApi } from './fake-gemini-api.js';
import { contentText, startFakeMessagesApi, type FakeMessagesApi } from './fake-messages-api.js';
import { startFakeResponsesApi, type FakeResponsesApi } from './fake-responses-api.js';
import { runGemini, writeGeminiSettings } from './gemini-session.js';

let responses: FakeResponsesApi;
let gemini: FakeGeminiApi;
let messages: FakeMessagesApi;
let project: TempProject;

beforeAll(async () => {
  [responses, gemini, messages] = await Promise.all([startFakeResponsesApi(), startFakeGeminiApi(), startFakeMessagesApi()]);
  project = await makeTempProject({ 'README.md': '# demo\n' });
  // The agents' own settings first: install adds to them.
  await writeCodexConfig(project.home, responses.url);
  await writeGeminiSettings(project.home);
  const installed = await runLogSession(project, 'install', '--client', 'all');
  expect(installed, installed.stderr).toMatchObject({ code: 0, stderr: '' });
});

afterAll(async () => {
  await Promise.all([responses?.close(), gemini?.close(), messages?.close()]);
  await project?.cleanup();
});

it('a Claude Code session is told what the Codex and the Gemini CLI sessions before it did, each by name, with its files', async () => {
  responses.script([{ patch: '*** Begin Patch\n*** Add File: codex/plan.md\n+the plan\n*** End Patch\n' }, { text: 'Plan written.' }], 'Write the plan.');
  const codex = await runCodex({ home: project.home, cwd: project.cwd, prompt: 'Write the plan.' });
  expect(codex, `${codex.stdout}\n${codex.stderr}`).toMatchObject({ exitCode: 0, timedOut: false });
  await waitForProcessesOfHome(project.home);

  gemini.script(
    [{ calls: [{ name: 'write_file', args: { file_path: join(project.cwd, 'gemini/notes.md'), content: 'the notes\n' } }] }, { text: 'Notes written.' }],
    { promptIncludes: 'Write the notes.' },
  );
  const geminiRun = await runGemini({ home: project.home, cwd: project.cwd, apiUrl: gemini.url, prompt: 'Write the notes.' });
  expect(geminiRun, `${geminiRun.stdout}\n${geminiRun.stderr}`).toMatchObject({ exitCode: 0 });
  await waitForProcessesOfHome(project.home);

  const claude = await runClaude({ home: project.home, cwd: project.cwd, apiUrl: messages.url, prompt: 'What happened here?' });
  await waitForProcessesOfHome(project.home);
  expect(claude, `${claude.stdout}\n${claude.stderr}`).toMatchObject({ exitCode: 0, timedOut: false });
  const first = messages.messageRequests(claude.sessionId)[0];
  const told = (first?.body?.messages ?? []).map((message) => contentText(message.content)).join('\n');
  expect(told).toContain('Project memory for project');
  expect(told).toMatch(/\n- [^\n]*, by codex, [^\n]*1 file changed \(codex\/plan\.md\): "Asked: Write the plan\. Outcome: Plan written\."/);
  expect(told).toMatch(/\n- [^\n]*, by gemini, [^\n]*1 file changed \(gemini\/notes\.md\): "Asked: Write the notes\. Outcome: Notes written\."/);
  // Codex has no SessionEnd: its finished session is not called running or interrupted.
  expect(told).not.toMatch(/by codex[^\n]*SessionEnd/);
});
