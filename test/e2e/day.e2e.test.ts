/**
 * A working day with the real Claude Code CLI (against the fake Messages API, loopback only), log-session installed
 * by our built CLI: four sessions, then the next one's first request, which carries the brief. The brief it saw is
 * printed and written to `<temp>/brief-seen.txt` (kept with LOG_SESSION_KEEP_E2E=1).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentText, startFakeMessagesApi, type FakeMessagesApi } from './fake-messages-api.js';
import { git, makeTempProject, runClaude, runLogSession, waitForProcessesOfHome, type ClaudeRun, type TempProject } from './claude-session.js';
import { recordScript, type AuthoredFields, type SkillRun } from './skill-script.js';

let api: FakeMessagesApi;
let project: TempProject;
const runs: Record<string, ClaudeRun> = {};
let brief = '';

const logged: AuthoredFields = {
  summary: 'Added the greeting module.',
  decisions_made: [{ decision: 'Greetings in plain text', rationale: 'No i18n yet' }],
  follow_up: ['Translate the greeting'],
  context_for_next_session: 'Wire greeting.ts into the CLI entry point (hint-day42).',
};
const tasks = [
  { content: 'Write the config schema', status: 'completed' },
  { content: 'Load the config file', status: 'in_progress' },
  { content: 'Document the config keys', status: 'pending' },
] as const;
const commitSubject = 'Add the config loader (commit-77)';
const question = 'Good morning, where did we leave off?';

/** One session; then every hook and detached worker it started has finished (an event, not a delay). */
async function session(
  name: string,
  prompt: string,
  script: (sessionId: string) => Parameters<FakeMessagesApi['script']>[0],
  extraEnv: Record<string, string> = {},
): Promise<ClaudeRun> {
  const sessionId = crypto.randomUUID();
  api.script(script(sessionId), { sessionId });
  const run = await runClaude({ home: project.home, cwd: project.cwd, apiUrl: api.url, prompt, sessionId, extraEnv });
  await waitForProcessesOfHome(project.home);
  runs[name] = run;
  return run;
}

beforeAll(async () => {
  api = await startFakeMessagesApi();
  project = await makeTempProject();
  const installed = await runLogSession(project, 'install');
  expect(installed.code, installed.stderr).toBe(0);

  // 1. Logged by the skill, with a hint for the next session.
  const seen: SkillRun = {};
  await session('logged', 'Write the greeting module, then log this session.', (id) => recordScript('log-session', id, join(project.cwd, 'greeting.ts'), logged, seen));
  expect(seen.bashResult?.text, seen.recordCommand).toContain('Session logged to:');

  // 2. Automatic, its task list left half done (and a file written). 2.1.331 has TaskCreate/TaskUpdate, each task's id
  // in its TaskCreate result; in `-p` only with CLAUDE_CODE_ENABLE_TODO_TOOLS=1 (interactive sessions have them).
  await session('tasks', 'Add a config file loader.', () => [
    { tools: tasks.map((task) => ({ name: 'TaskCreate', input: { subject: task.content, description: task.content } })) },
    ({ toolResults }) => {
      const ids = toolResults.map((result) => /Task #(\S+) created successfully/.exec(result.text)?.[1]);
      if (ids.length !== tasks.length || ids.includes(undefined)) throw new Error(`TaskCreate results: ${JSON.stringify(toolResults)}`);
      return { tools: tasks.map((task, index) => ({ name: 'TaskUpdate', input: { taskId: ids[index], status: task.status } })) };
    },
    { tools: [{ name: 'Write', input: { file_path: join(project.cwd, 'config.ts'), content: 'export const schema = {};\n' } }] },
    { text: 'Schema written; the loader is next.' },
  ], { CLAUDE_CODE_ENABLE_TODO_TOOLS: '1' });

  // 3. Only a question.
  await session('question', question, () => [{ text: 'Yesterday you added the greeting module and started the config loader.' }]);

  // 4. A commit through Bash.
  await session('commit', 'Commit the config work.', () => [
    { tools: [{ name: 'Bash', input: { command: `git add -A && git commit -q -m "${commitSubject}"`, description: 'Commit' } }] },
    { text: 'Committed.' },
  ]);

  // 5. The next morning's session: its first request carries the brief.
  const next = await session('next', 'What is the state of the project?', () => [{ text: 'Briefed.' }]);
  const [first] = api.messageRequests(next.sessionId);
  const system = (first?.body?.messages ?? []).filter((message) => message.role === 'system').map((message) => contentText(message.content)).join('\n');
  // The hook's text, without the environment block Claude Code puts after it.
  brief = /SessionStart hook additional context: ([\s\S]*?)\n+# Environment\b/.exec(system)?.[1] ?? system;
  await writeFile(join(project.root, 'brief-seen.txt'), brief);
  console.log(`The brief the fifth session's first request carried (also in ${join(project.root, 'brief-seen.txt')}):\n${brief}`);
});

afterAll(async () => {
  await api?.close();
  if (process.env.LOG_SESSION_KEEP_E2E !== '1') await project?.cleanup();
});

describe('a day of four sessions, then the next one', () => {
  it('every session ran to its end, and the commit was made', async () => {
    for (const [name, run] of Object.entries(runs)) expect(run, `${name}: ${run.stdout}\n${run.stderr}`).toMatchObject({ exitCode: 0, timedOut: false });
    expect(api.errors).toEqual([]);
    expect(await git(project.cwd, 'log', '-1', '--format=%s')).toBe(`${commitSubject}\n`);
  });

  it("the next session's first request carries the skill's hint, the pending tasks as follow-ups and the commit subject", () => {
    expect(brief).toContain('Project memory for project');
    expect(brief).toContain(logged.context_for_next_session);
    const followUps = brief.split('Open follow-ups (newest first):\n')[1]?.split('\n\n')[0] ?? '';
    expect(followUps).toContain('"Load the config file"');
    expect(followUps).toContain('"Document the config keys"');
    expect(followUps).toContain(`"${logged.follow_up[0]}"`);
    expect(followUps).not.toContain('Write the config schema');
    expect(brief).toContain(commitSubject);
  });

  it('leads with a session that did something, not the question-only one, which is counted in one line', () => {
    const recent = brief.split('(newest first):\n')[1]?.split('\n\n')[0]?.split('\n') ?? [];
    expect(recent[0]).toContain(commitSubject);
    expect(recent.slice(0, 3).join('\n')).not.toContain(question);
    expect(recent.at(-1)).toMatch(/^- and 1 session without changes or a recorded summary \(/);
    expect(brief).not.toContain(question);
  });
});
