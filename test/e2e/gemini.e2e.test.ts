/**
 * Gemini CLI end to end: the real `gemini -p` (e2e/agents) against the stand-in Gemini API (loopback only), in a
 * temp HOME where log-session was installed by our built CLI with `install --client gemini`. Memory is read back
 * from `$HOME/aiconfig/memory/projects/project/sessions.json`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, makeTempProject, runLogSession, type TempProject } from './claude-session.js';
import { contentText, startFakeGeminiApi, type FakeGeminiApi, type RecordedRequest } from './fake-gemini-api.js';
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
});
