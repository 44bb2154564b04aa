/**
 * Which session changed which file, end to end: real `claude -p` sessions (fake Messages API, loopback only) in a
 * temp HOME where our built CLI installed log-session's hooks. Each session's entry is found through its state
 * file (`~/.local/state/log-session/sessions/<session id>.json`, field `entryId`), so a file can be checked
 * against the session that really changed it.
 *
 * Waiting: every claude run is awaited (its SessionEnd hook runs before it exits), then `waitForProcessesOfHome`
 * waits until no process with the temp HOME is left, i.e. until every Stop worker the hooks detached has finished.
 * After that nothing writes memory any more, so one read is the final state.
 */
import { existsSync } from 'node:fs';
import { readFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeMessagesApi, type FakeMessagesApi, type ToolResult } from './fake-messages-api.js';
import { git, makeTempProject, runClaude, runLogSession, waitForProcessesOfHome, type ClaudeRun, type TempProject } from './claude-session.js';

type Entry = Record<string, unknown> & { id?: string; files_modified?: string[] };

let api: FakeMessagesApi;
beforeAll(async () => {
  api = await startFakeMessagesApi();
});
afterAll(async () => {
  await api?.close();
});

/** A temp project with log-session installed by our built CLI, as a user installs it. */
async function installedProject(files?: Record<string, string>): Promise<TempProject> {
  const project = await makeTempProject(files);
  const result = await runLogSession(project, 'install');
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return project;
}

/** The entries of the project's sessions.json (the temp project's name is its folder name, `project`). */
async function readEntries(project: TempProject): Promise<Entry[]> {
  const path = join(project.home, 'aiconfig', 'memory', 'projects', 'project', 'sessions.json');
  if (!existsSync(path)) return [];
  const value = JSON.parse(await readFile(path, 'utf8')) as Entry[] | { sessions?: Entry[] };
  return Array.isArray(value) ? value : (value.sessions ?? []);
}

/**
 * The id of the entry log-session keeps for `sessionId`, from its state file (among the recent, or retired once the
 * session is over); `undefined` when it has none.
 */
async function entryIdOf(project: TempProject, sessionId: string): Promise<string | undefined> {
  const paths = ['sessions', 'sessions-retired'].map((folder) => join(project.home, '.local', 'state', 'log-session', folder, `${sessionId}.json`));
  const path = paths.find((each) => existsSync(each));
  return path && (JSON.parse(await readFile(path, 'utf8')) as { entryId?: string }).entryId;
}

function expectOk(session: ClaudeRun): void {
  expect(session, `${session.stdout}\n${session.stderr}`).toMatchObject({ exitCode: 0, timedOut: false });
}

describe('six sessions started together in one repository, each writing one new file', () => {
  const sessions = Array.from({ length: 6 }, (_, index) => ({
    label: `session ${index + 1}`,
    id: crypto.randomUUID(),
    file: `parallel-${index + 1}.txt`,
  }));
  let project: TempProject;
  let runs: ClaudeRun[];

  beforeAll(async () => {
    project = await installedProject();
    for (const { id, file } of sessions) {
      api.script(
        [{ tools: [{ name: 'Write', input: { file_path: join(project.cwd, file), content: `${file}\n` } }] }, { text: `Wrote ${file}.` }],
        { sessionId: id },
      );
    }
    runs = await Promise.all(
      sessions.map(({ id, label }) =>
        runClaude({ home: project.home, cwd: project.cwd, apiUrl: api.url, prompt: `Write one file (${label}).`, sessionId: id }),
      ),
    );
    await waitForProcessesOfHome(project.home);
  });
  afterAll(async () => {
    await project?.cleanup();
  });

  it('all six ran, wrote their file and have an entry of their own', async () => {
    runs.forEach(expectOk);
    expect(runs.map((run) => run.stdout)).toEqual(sessions.map(({ file }) => `Wrote ${file}.\n`));
    expect(await git(project.cwd, 'status', '--porcelain', '--untracked-files=all')).toBe(
      sessions.map(({ file }) => `?? ${file}\n`).join(''),
    );
    const entries = await readEntries(project);
    expect(entries).toHaveLength(6);
    const entryIds = await Promise.all(sessions.map(({ id }) => entryIdOf(project, id)));
    expect(new Set(entryIds).size).toBe(6);
    expect(entryIds.every((entryId) => entries.some((e) => e.id === entryId))).toBe(true);
  });

  it('each file is in exactly one entry: the entry of the session that wrote it', async () => {
    const entries = await readEntries(project);
    const labelOfEntry = new Map<string | undefined, string>();
    for (const { id, label } of sessions) labelOfEntry.set(await entryIdOf(project, id), label);
    // For each file, the sessions whose entry lists it.
    const holders = (file: string) =>
      entries.filter((e) => e.files_modified?.includes(file)).map((e) => labelOfEntry.get(e.id) ?? `unknown entry ${e.id}`).sort();
    const actual = Object.fromEntries(sessions.map(({ file }) => [file, holders(file)]));
    const expected = Object.fromEntries(sessions.map(({ file, label }) => [file, [label]]));
    expect(actual).toEqual(expected);
  });
});

interface BashCase {
  name: string;
  command: string;
  /** `git status --porcelain` after the session: the command did what it says. */
  status: string;
  filesModified: string[];
}

/** Committed before the session, an hour earlier by their mtimes (a moved file keeps its own). */
const TRACKED = { 'README.md': '# demo\n', 'src/a.js': 'export const a = 1;\n', 'src/b.js': 'export const b = 2;\n', 'src/util.js': 'export const add = (x, y) => x + y;\n' };

const bashCases: BashCase[] = [
  {
    name: 'rm and mv of tracked files record the deleted file and both paths of the rename',
    command: 'rm src/b.js && mv src/util.js src/money.js',
    status: ' D src/b.js\n D src/util.js\n?? src/money.js\n',
    filesModified: ['src/b.js', 'src/money.js', 'src/util.js'],
  },
  {
    name: 'git mv records both paths of the rename, git rm the deleted file',
    command: 'git mv src/a.js src/c.js && git rm -q src/b.js',
    status: 'D  src/b.js\nR  src/a.js -> src/c.js\n',
    filesModified: ['src/a.js', 'src/b.js', 'src/c.js'],
  },
];

/** What one Bash case left: the run, what the Bash tool answered, git's view and the session's entry. */
interface BashOutcome {
  session: ClaudeRun;
  bashResult?: ToolResult;
  status: string;
  entries: Entry[];
  entryId?: string;
}

/** One project per case, log-session installed; one session runs the case's command through Bash. */
async function runBashCase({ command }: BashCase): Promise<BashOutcome> {
  const project = await installedProject(TRACKED);
  try {
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await Promise.all(Object.keys(TRACKED).map((file) => utimes(join(project.cwd, file), anHourAgo, anHourAgo)));
    const sessionId = crypto.randomUUID();
    let bashResult: ToolResult | undefined;
    api.script(
      [
        { tools: [{ name: 'Bash', input: { command, description: 'Reshape the sources' } }] },
        (context) => {
          bashResult = context.toolResults[0];
          return { text: 'Reshaped.' };
        },
      ],
      { sessionId },
    );
    const session = await runClaude({ home: project.home, cwd: project.cwd, apiUrl: api.url, prompt: 'Reshape the sources.', sessionId });
    await waitForProcessesOfHome(project.home);
    return {
      session,
      bashResult,
      status: await git(project.cwd, 'status', '--porcelain', '--untracked-files=all'),
      entries: await readEntries(project),
      entryId: await entryIdOf(project, sessionId),
    };
  } finally {
    await project.cleanup();
  }
}

describe('a session that deletes and renames tracked files through Bash', () => {
  // The cases are independent (a project each): run them together, then check each.
  let outcomes: BashOutcome[];
  beforeAll(async () => {
    outcomes = await Promise.all(bashCases.map(runBashCase));
  });

  for (const [index, { name, command, status, filesModified }] of bashCases.entries()) {
    it(name, () => {
      const outcome = outcomes[index]!;
      expectOk(outcome.session);
      expect(outcome.bashResult, 'the Bash tool ran the command').toMatchObject({ isError: false });
      expect(outcome.status, 'git status after the session').toBe(status);
      expect(outcome.entries).toHaveLength(1);
      expect(outcome.entryId, 'the session state names its entry').toBe(outcome.entries[0]!.id);
      expect(outcome.entries[0]!.files_modified, `files_modified after \`${command}\``).toEqual(filesModified);
    });
  }
});
