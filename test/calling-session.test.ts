import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtCli, makeHome, repoRoot, runCli, type CliResult, type TempHome } from './helpers/temp-home.js';

let home: TempHome;
afterEach(async () => home?.remove());

/**
 * A stand-in for an agent's process (Gemini CLI's, Claude Code's): runs each command of $AGENT_STEPS through
 * `bash -c`, as the agents run their hooks and their shell tools, with its own env added, one after the other;
 * prints what each gave. A step may start another such agent: one agent inside another's shell.
 */
const AGENT = `
const { spawnSync } = require('node:child_process');
const results = JSON.parse(process.env.AGENT_STEPS).map(({ command, input, env }) => {
  const run = spawnSync('bash', ['-c', command], { input: input ?? '', env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
});
process.stdout.write(JSON.stringify(results));
`;

interface Step {
  command: string;
  input?: string;
  env?: Record<string, string>;
}

function runAgent(steps: Step[]): Promise<CliResult[]> {
  return new Promise((done, fail) => {
    execFile(process.execPath, ['-e', AGENT], { cwd: home.project, env: { ...home.env, AGENT_STEPS: JSON.stringify(steps) }, encoding: 'utf8' }, (error, stdout) =>
      error ? fail(error) : done(JSON.parse(stdout) as CliResult[]),
    );
  });
}

/** A step that starts another agent, which runs `steps`; `env` is what the outer agent's shell sets. */
function innerAgent(steps: Step[], env: Record<string, string>): Step {
  return { command: `node -e "$AGENT_SCRIPT"`, env: { ...env, AGENT_SCRIPT: AGENT, AGENT_STEPS: JSON.stringify(steps) } };
}

const hook = join(repoRoot, 'dist', 'hooks', 'session-start.js');

/** Gemini CLI's SessionStart for `sessionId`: our hook as installed, its input on stdin. */
function sessionStart(sessionId: string, transcriptPath: string, command = `node "${hook}" --client gemini`): Step {
  const input = { session_id: sessionId, transcript_path: transcriptPath, cwd: home.project, hook_event_name: 'SessionStart', source: 'startup' };
  return { command, input: JSON.stringify(input) };
}

/** The model's `record` through Gemini CLI's shell tool, which sets GEMINI_CLI=1 and no session id. */
const record = (summary: string): Step => ({ command: `node "${builtCli}" record --summary "${summary}"`, env: { GEMINI_CLI: '1' } });

/** Claude Code's SessionStart for `sessionId`, and the model's `record` through its Bash tool, which names the session. */
function claudeStart(sessionId: string): Step {
  const input = { session_id: sessionId, transcript_path: join(home.dir, '.claude', 'projects', 'widget', `${sessionId}.jsonl`), cwd: home.project, hook_event_name: 'SessionStart', source: 'startup' };
  return { command: `node "${hook}"`, input: JSON.stringify(input) };
}
const claudeRecord = (sessionId: string, summary: string): Step => ({ command: `node "${builtCli}" record --summary "${summary}"`, env: { CLAUDE_CODE_SESSION_ID: sessionId } });

async function sessions(): Promise<Record<string, unknown>[]> {
  return (JSON.parse(await readFile(join(home.paths.projectsDir, 'widget', 'sessions.json'), 'utf8')) as { sessions: Record<string, unknown>[] }).sessions;
}

describe('record run in Gemini CLI', () => {
  it("finds the session of the gemini process it runs under: its one entry takes the summary and the transcript's files", async () => {
    home = await makeHome();
    const chats = join(home.dir, '.gemini', 'tmp', 'widget', 'chats');
    await mkdir(chats, { recursive: true });
    // A real 0.61.0 recording (three files changed), moved into this home's project.
    const fixture = await readFile(join(repoRoot, 'test', 'fixtures', 'gemini', 'session-2026-12-01T18-20-af809c90.jsonl'), 'utf8');
    const first = join(chats, 'session-2026-12-01T18-20-af809c90.jsonl');
    await writeFile(first, fixture.replaceAll('/home/dev/demo', home.project));
    const second = join(chats, 'session-2026-12-02T09-00-22222222.jsonl');
    await writeFile(second, `${JSON.stringify({ sessionId: '22222222-0000-0000-0000-000000000000', projectHash: 'x', startTime: new Date().toISOString() })}\n`);

    const results = await runAgent([
      sessionStart('af809c90-2017-4f5c-b48f-fa8948f696b1', first),
      record('First session.'),
      // /clear: a new session in the same process; this time the hook runs under the shell (no exec: a pipe).
      sessionStart('22222222-0000-0000-0000-000000000000', second, `node "${hook}" --client gemini | cat`),
      record('Second session.'),
    ]);

    for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0 });
    expect(results[1]!.stdout).toContain('- Files: 3 modified');
    const entries = await sessions();
    expect(entries).toHaveLength(2);
    expect(entries).toContainEqual(expect.objectContaining({ summary: 'First session.', tags: ['gemini'], files_modified: ['docs/relative.md', 'edit.txt', 'src/notes.txt'] }));
    expect(entries).toContainEqual(expect.objectContaining({ summary: 'Second session.', tags: ['gemini'], files_modified: [] }));
  });

  it('records the inner agent\'s session when one agent runs inside the other\'s shell, either way round', async () => {
    home = await makeHome();
    const chats = join(home.dir, '.gemini', 'tmp', 'widget', 'chats');
    await mkdir(chats, { recursive: true });
    const recording = (id: string) => {
      const path = join(chats, `session-2026-12-02T09-00-${id.slice(0, 8)}.jsonl`);
      return writeFile(path, `${JSON.stringify({ sessionId: id, projectHash: 'x', startTime: new Date().toISOString() })}\n`).then(() => path);
    };
    const outerGemini = await recording('33333333-0000-0000-0000-000000000000');
    const innerGemini = await recording('44444444-0000-0000-0000-000000000000');

    // Claude Code run from Gemini CLI's shell: its Bash names its session, and GEMINI_CLI=1 is inherited.
    const [, claudeInGemini] = await runAgent([
      sessionStart('33333333-0000-0000-0000-000000000000', outerGemini),
      innerAgent([claudeStart('claude-inner'), claudeRecord('claude-inner', 'Claude inside Gemini.')], { GEMINI_CLI: '1' }),
    ]);
    // Gemini CLI run from Claude Code's Bash: GEMINI_CLI=1 is its own, CLAUDE_CODE_SESSION_ID inherited.
    const [, geminiInClaude] = await runAgent([
      claudeStart('claude-outer'),
      innerAgent([sessionStart('44444444-0000-0000-0000-000000000000', innerGemini), record('Gemini inside Claude.')], { CLAUDE_CODE_SESSION_ID: 'claude-outer' }),
    ]);

    for (const inner of [claudeInGemini, geminiInClaude]) {
      for (const result of JSON.parse(inner!.stdout) as CliResult[]) expect(result, result.stderr).toMatchObject({ code: 0 });
    }
    // The outer Gemini session, never captured, is caught up by the next start: an entry of its own, as yet unsummarised.
    const entries = (await sessions()).map((entry) => [entry.summary, entry.tags]);
    expect(entries.sort()).toEqual([
      ['Claude inside Gemini.', []],
      ['Gemini inside Claude.', ['gemini']],
      ['Session in progress.', ['gemini']],
    ]);
  });

  it('says to pass --session, and writes nothing, when no gemini session started above it', async () => {
    home = await makeHome();
    const result = await runCli(home, ['record', '--summary', 'Lost.'], '', home.project, { GEMINI_CLI: '1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cannot tell which gemini session runs this command: gemini gives its shell commands no session id, and no gemini session's start saved a process this one runs under");
    expect(result.stderr).toContain("Pass --session ID ('gemini --list-sessions' in the project's folder prints each of its sessions with its id in brackets)");
    const facts = await runCli(home, ['facts'], '', home.project, { GEMINI_CLI: '1' });
    expect(facts.code).toBe(1);
    expect(facts.stderr).toContain('Pass --session ID');
    await expect(readFile(join(home.paths.projectsDir, 'widget', 'sessions.json'))).rejects.toThrow(/ENOENT/);
  });

  it('takes --session as given', async () => {
    home = await makeHome();
    const result = await runCli(home, ['record', '--session', 'S9', '--summary', 'Named.'], '', home.project, { GEMINI_CLI: '1' });
    expect(result, result.stderr).toMatchObject({ code: 0 });
    expect(await sessions()).toMatchObject([{ summary: 'Named.' }]);
  });
});
