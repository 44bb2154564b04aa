/**
 * Gemini CLI end to end: the real `gemini -p` (e2e/agents) against the stand-in Gemini API (loopback only), in a
 * temp HOME where log-session was installed by our built CLI with `install --client gemini`. Memory is read back
 * from `$HOME/aiconfig/memory/projects/project/sessions.json`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, LOG_SESSION_CLI, makeTempProject, runLogSession, type TempProject } from './claude-session.js';
import { contentText, startFakeGeminiApi, type FakeGeminiApi, type RecordedRequest, type Turn, type TurnContext } from './fake-gemini-api.js';
import { runGemini, writeGeminiSettings, type GeminiRun } from './gemini-session.js';

let api: FakeGeminiApi;
beforeAll(async () => {
  api = await startFakeGeminiApi();
});
afterAll(async () => {
  await api?.close();
});

async function readSessions(home: string): Promise<Record<string, unknown>[]> {
  const path = join(home, 'aiconfig', 'memory', 'projects', 'project', 'sessions.json');
  if (!existsSync(path)) return [];
  const value = JSON.parse(await readFile(path, 'utf8')) as unknown;
  return Array.isArray(value) ? (value as Record<string, unknown>[]) : ((value as { sessions?: Record<string, unknown>[] }).sessions ?? []);
}

/** Polls until `settled` holds (AfterAgent hands its work to a detached worker) or 20 s ran out. */
async function pollSessions(home: string, settled: (entries: Record<string, unknown>[]) => boolean): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const entries = await readSessions(home).catch(() => []);
    if (settled(entries) || Date.now() > deadline) return entries;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function expectOk(run: GeminiRun): void {
  expect(run, `${run.stdout}\n${run.stderr}`).toMatchObject({ exitCode: 0 });
}

/** All the text a request sends the model: its contents and its system instruction. */
function requestText(request: RecordedRequest): string {
  const system = request.body?.systemInstruction;
  return [...(request.body?.contents ?? []).map((content) => contentText(content)), typeof system === 'string' ? system : contentText(system)].join('\n');
}

describe('Gemini CLI: a session captured exactly, and the next one briefed', () => {
  let project: TempProject;
  let first: GeminiRun;

  beforeAll(async () => {
    project = await makeTempProject({ 'README.md': '# demo\n', 'edit.txt': 'one\ntwo\n', 'kept.txt': 'untouched\n' });
    await writeGeminiSettings(project.home);
    const installed = await runLogSession(project, 'install', '--client', 'gemini');
    expect(installed, installed.stderr).toMatchObject({ code: 0, stderr: '' });
    const at = (path: string) => join(project.cwd, path);
    api.script(
      [
        { calls: [{ name: 'write_file', args: { file_path: at('src/notes.txt'), content: 'alpha\nbeta\n' } }] },
        { calls: [{ name: 'replace', args: { file_path: at('edit.txt'), old_string: 'two', new_string: 'deux', instruction: 'translate' } }] },
        { calls: [{ name: 'replace', args: { file_path: at('kept.txt'), old_string: 'not in the file', new_string: 'x', instruction: 'fails' } }] },
        { calls: [{ name: 'run_shell_command', args: { command: 'echo x >> README.md', description: 'append' } }] },
        { text: 'Notes written, edit.txt translated, README appended.' },
      ],
      { promptIncludes: 'Capture test' },
    );
    first = await runGemini({ home: project.home, cwd: project.cwd, apiUrl: api.url, prompt: 'Capture test.' });
  });
  afterAll(async () => {
    await project?.cleanup();
  });

  it('leaves one entry whose files are the written, the edited and the shell-changed file, not the failed edit', async () => {
    expectOk(first);
    expect(await git(project.cwd, 'status', '--porcelain')).toBe(' M README.md\n M edit.txt\n?? src/\n');
    const expected = ['README.md', 'edit.txt', 'src/notes.txt'];
    const entries = await pollSessions(project.home, (e) => e.length === 1 && JSON.stringify(e[0]!.files_modified) === JSON.stringify(expected));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ files_modified: expected, client: 'other', tags: expect.arrayContaining(['gemini']) });
  });

  it('briefs the next Gemini session: its first request carries what the first one did', async () => {
    api.script([{ text: 'Read the brief.' }], { promptIncludes: 'Second session' });
    const before = api.agentRequests().length;
    const second = await runGemini({ home: project.home, cwd: project.cwd, apiUrl: api.url, prompt: 'Second session.' });
    expectOk(second);
    const request = api.agentRequests()[before];
    expect(request).toBeDefined();
    const text = requestText(request!);
    expect(text).toContain('Project memory for project');
    // An agent other than Claude Code worked on this project: the brief says which agent ran each session.
    expect(text).toMatch(/\n- [^\n]*, by gemini, [^\n]*3 files changed \(README\.md, edit\.txt, src\/notes\.txt\): "Asked: Capture test\. Outcome: Notes written, edit\.txt translated, README appended\."/);
    // The brief rides in the prompt's message: the prompt the second entry keeps is still the one typed.
    const entries = await pollSessions(project.home, (e) => e.length === 2);
    expect(entries).toHaveLength(2);
    expect(JSON.stringify(entries[1])).toContain('Second session.');
    expect(JSON.stringify(entries[1])).not.toContain('Project memory for');
  });

  it("logs a session through the installed log-session skill: record, run by Gemini CLI's shell tool, fills the session's one entry", async () => {
    const seen: { skill?: string; facts?: string; record?: string; recordOutput?: string } = {};
    const output = (context: TurnContext) => String(context.responses[0]?.response.output ?? JSON.stringify(context.responses[0]?.response));
    const shell = (command: string, description: string): Turn => ({ calls: [{ name: 'run_shell_command', args: { command, description } }] });
    api.script(
      [
        { calls: [{ name: 'write_file', args: { file_path: join(project.cwd, 'docs/log.md'), content: 'logged\n' } }] },
        { calls: [{ name: 'activate_skill', args: { name: 'log-session' } }] },
        (context) => {
          seen.skill = output(context);
          // The skill's first command shows what log-session knows of this session.
          return shell(bashBlocks(seen.skill)[0]!, 'What log-session knows');
        },
        (context) => {
          seen.facts = output(context);
          const values: Record<string, string> = { summary: 'Wrote the log page.', decision: 'Keep the log in docs', rationale: 'it ships with the code', tag: 'docs' };
          const template = bashBlocks(seen.skill!).find((block) => / record /.test(block))!;
          seen.record = template.replace(/ --([a-z-]+) "\.\.\."/g, (whole, name: string) => (name in values ? ` --${name} "${values[name]}"` : ''));
          return shell(seen.record, 'Record this session');
        },
        (context) => {
          seen.recordOutput = output(context);
          return { text: 'Logged.' };
        },
      ],
      { promptIncludes: 'Log this session' },
    );
    const run = await runGemini({ home: project.home, cwd: project.cwd, apiUrl: api.url, prompt: 'Log this session.' });
    expectOk(run);
    expect(api.errors).toEqual([]);
    expect(seen.facts).toContain('- Files changed (1): docs/log.md');
    // The command as the skill gives it: no session id, which Gemini CLI's shell commands lack.
    expect(seen.record).toMatch(new RegExp(`^node ${LOG_SESSION_CLI} record --summary "Wrote the log page\\." --decision "Keep the log in docs" --rationale "it ships with the code" --tag "docs"$`));
    expect(seen.recordOutput).toContain('Session logged to:');
    const entries = await pollSessions(project.home, (e) => e.length === 3 && e[2]?.summary === 'Wrote the log page.' && JSON.stringify(e[2]?.files_modified) === '["docs/log.md"]');
    expect(entries).toHaveLength(3);
    expect(entries[2]).toMatchObject({
      summary: 'Wrote the log page.',
      decisions_made: [{ decision: 'Keep the log in docs', rationale: 'it ships with the code' }],
      files_modified: ['docs/log.md'],
      tags: ['gemini', 'docs'],
      client: 'other',
    });
  });
});

/** The commands of ```bash blocks in a text (a loaded skill). */
function bashBlocks(text: string): string[] {
  return [...text.matchAll(/```bash\n([\s\S]*?)\n```/g)].map((match) => match[1]!);
}
