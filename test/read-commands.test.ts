import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSession } from '../lib/session/start.js';
import { runCli } from '../lib/cli.js';
import { makeHome, repoRoot, type TempHome } from './helpers/temp-home.js';

let home: TempHome;
afterEach(async () => home?.remove());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI in this process, on the temp home, from the project folder. */
async function cli(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env: home.env,
    paths: home.paths,
    cwd: home.project,
    // The real clock, as the SessionStart hook's: the brief dates follow-ups against it.
    now: () => new Date(),
    readStdin: async () => '',
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
  });
  return { code, stdout, stderr };
}

const sessions = Array.from({ length: 7 }, (_, n) => ({
  id: `session-2026010${n + 1}-090000`,
  date: `2026-01-0${n + 1}`,
  client: 'claude-code',
  duration_estimate: '30m',
  summary: n === 2 ? 'Chose JWT for authentication.' : `Worked on step ${n + 1}.`,
  files_modified: n === 2 ? ['src/auth/jwt.ts'] : [`src/step${n + 1}.ts`],
  decisions_made: n === 2 ? [{ decision: 'Use JWT for auth', rationale: 'stateless' }] : [],
  follow_up: [`Finish step ${n + 1}`],
  tags: [],
  context_for_next_session: `After step ${n + 1}`,
}));

async function writeMemory() {
  const dir = join(home.paths.projectsDir, 'widget');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'sessions.json'), JSON.stringify({ project: 'widget', sessions }));
  await writeFile(
    join(dir, 'decisions.json'),
    JSON.stringify({ project: 'widget', decisions: [{ id: 'ADR-001', date: '2026-01-03', title: 'JWT auth', decision: 'JWT', status: 'accepted' }] }),
  );
  await writeFile(join(dir, 'context.json'), JSON.stringify({ project: 'widget', created: '2026-01-01', current_focus: 'Auth' }));
}

function runBuiltHook(input: unknown): Promise<Run> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [join(repoRoot, 'dist', 'hooks', 'session-start.js')],
      { cwd: home.project, env: home.env, encoding: 'utf8' },
      (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
    child.stdin?.end(JSON.stringify(input));
  });
}

describe('show, context and recall', () => {
  it('show lists the newest sessions first, readable and as JSON', async () => {
    home = await makeHome();
    await writeMemory();
    const text = await cli('show', '--last', '2');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('session-20260107-090000, 2026-01-07, claude-code, 30m\n  Worked on step 7.\n  Files: 1 (src/step7.ts)\n  Follow-up: Finish step 7');
    expect(text.stdout.indexOf('session-20260107')).toBeLessThan(text.stdout.indexOf('session-20260106'));
    expect(text.stdout).not.toContain('session-20260105');

    const json = JSON.parse((await cli('show', '--json')).stdout) as { project: string; sessions: { id: string }[] };
    expect(json.project).toBe('widget');
    expect(json.sessions.map((entry) => entry.id)).toEqual(sessions.slice(-5).reverse().map((entry) => entry.id));
    expect(json.sessions[0]).toEqual(sessions[6]);
  });

  it('context prints exactly what the SessionStart hook injects, and a note when there is no memory', async () => {
    home = await makeHome();
    const empty = await cli('context');
    expect(empty).toEqual({ code: 0, stdout: '', stderr: 'log-session context: no memory for widget yet\n' });
    expect(await startSession({ sessionKey: 'now', cwd: home.project }, { paths: home.paths, now: () => new Date(), warn: () => {} })).toBeUndefined();

    await writeMemory();
    const printed = await cli('context', '--project', 'widget');
    const injected = await startSession({ sessionKey: 'now', cwd: home.project }, { paths: home.paths, now: () => new Date(), warn: () => {} });
    expect(printed.stdout).toBe(`${injected}\n`);
    expect(injected).toContain('Last session (session-20260107-090000, 2026-01-07, claude-code):\n- Worked on step 7.\n- Next: After step 7');
    expect(injected).toContain('- ADR-001: JWT auth');
  });

  it('a --project with no memory is an error that lists the known projects', async () => {
    home = await makeHome();
    await writeMemory();
    for (const command of [['show'], ['context'], ['recall', 'auth']]) {
      const result = await cli(...command, '--project', 'widgte');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("no memory for project 'widgte'; known projects: widget");
    }
  });

  it('recall answers questions, filters by file and prints stable JSON', async () => {
    home = await makeHome();
    await writeMemory();
    const decided = await cli('recall', 'what did we decide about auth');
    expect(decided.stdout.split('\n')[0]).toBe('ADR-001 (2026-01-03) [title]: JWT auth');
    expect(decided.stdout.split('\n')[1]).toBe('session-20260103-090000 (2026-01-03) [decision]: Use JWT for auth (why: stateless)');

    const json = JSON.parse((await cli('recall', 'what did we do last session', '--json', '--last', '2')).stdout) as unknown;
    expect(json).toEqual({
      project: 'widget',
      query: 'what did we do last session',
      hits: [
        { kind: 'session', id: 'session-20260107-090000', date: '2026-01-07', score: 1, field: 'summary', text: 'Worked on step 7.' },
        { kind: 'session', id: 'session-20260106-090000', date: '2026-01-06', score: 1, field: 'summary', text: 'Worked on step 6.' },
      ],
    });
    const byFile = await cli('recall', '--file', 'src/auth', '--json');
    expect((JSON.parse(byFile.stdout) as { hits: { id: string; field: string }[] }).hits).toMatchObject([{ id: 'session-20260103-090000', field: 'files' }]);
  });

  it('every command explains itself and names an unknown flag', async () => {
    home = await makeHome();
    for (const name of ['show', 'context', 'recall']) {
      expect((await cli(name, '--help')).stdout).toContain(`Usage: log-session ${name}`);
      const bad = await cli(name, ...(name === 'recall' ? ['auth'] : []), '--jsn');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain("'--jsn'");
    }
    expect((await cli('recall')).code).toBe(1);
    for (const bad of ['0', '0x10', '1e2', ' 3', '2.5']) {
      expect((await cli('show', '--last', bad)).stderr).toContain(`--last expects a positive whole number, got '${bad}'`);
    }
  });

  it('the built SessionStart hook prints additionalContext JSON with memory and nothing without', async () => {
    home = await makeHome();
    const input = { session_id: 'new-one', cwd: home.project, hook_event_name: 'SessionStart', source: 'startup' };
    expect(await runBuiltHook(input)).toEqual({ code: 0, stdout: '', stderr: '' });
    await writeMemory();
    const run = await runBuiltHook({ ...input, source: 'resume' });
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout) as { hookSpecificOutput: { hookEventName: string; additionalContext: string } };
    expect(output.hookSpecificOutput.hookEventName).toBe('SessionStart');
    expect(output.hookSpecificOutput.additionalContext).toBe((await cli('context')).stdout.trimEnd());
  });

  it('with a damaged sessions.json the hook briefs from the backup and says so once, and show lists the backup', async () => {
    home = await makeHome();
    await writeMemory();
    const path = join(home.paths.projectsDir, 'widget', 'sessions.json');
    await rename(path, `${path}.bak`);
    await writeFile(path, '{"sessions": [{"id": "half');
    const run = await runBuiltHook({ session_id: 'new-one', cwd: home.project, hook_event_name: 'SessionStart', source: 'startup' });
    expect(run.code).toBe(0);
    const brief = (JSON.parse(run.stdout) as { hookSpecificOutput: { additionalContext: string } }).hookSpecificOutput.additionalContext;
    expect(brief).toContain('Last session (session-20260107-090000, 2026-01-07, claude-code)');
    expect(run.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^log-session SessionStart hook: .*sessions\.json is not valid .*; went on from its backup/)]);
    expect(await readFile(home.paths.logFile, 'utf8')).toContain('sessions.json is not valid');

    const show = await cli('show');
    expect(show.stdout).toContain('Worked on step 7.');
    expect(show.stderr).toMatch(/^log-session: .*sessions\.json is not valid .*; went on from its backup \(\.bak\)\n$/);

    // Backup damaged too: show says why it has nothing, not just that nothing was recorded.
    await writeFile(`${path}.bak`, 'garbage');
    const none = await cli('show');
    expect(none.stderr).toContain('its backup (.bak) was damaged too');
  });

  it('several problems in one SessionStart still make one stderr line; the log has each', async () => {
    home = await makeHome();
    await writeMemory();
    const path = join(home.paths.projectsDir, 'widget', 'sessions.json');
    await rename(path, `${path}.bak`);
    await writeFile(path, '{"sessions": [');
    // An earlier session whose transcript is now a folder: catching it up fails.
    const notATranscript = join(home.dir, 'was-a-transcript.jsonl');
    await mkdir(notATranscript);
    await mkdir(join(home.paths.stateDir, 'sessions'), { recursive: true });
    await writeFile(join(home.paths.stateDir, 'sessions', 'old.json'), JSON.stringify({ project: 'widget', transcriptPath: notATranscript, cwd: home.project }));

    const run = await runBuiltHook({ session_id: 'new-one', cwd: home.project, hook_event_name: 'SessionStart', source: 'startup' });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).hookSpecificOutput.additionalContext).toContain('Worked on step 7.');
    expect(run.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^log-session SessionStart hook: .* \(and 1 more\); see /)]);
    const log = await readFile(home.paths.logFile, 'utf8');
    expect(log).toContain('sessions.json is not valid');
    expect(log).toContain('could not catch up 1 earlier session(s): old');
  });
});
