/**
 * The real CLI (dist/, built by `npm run test:e2e`) installs log-session into a temp HOME, and real `claude -p`
 * sessions then run our built hook files: through settings.json, and through the plugin route.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeMessagesApi, type FakeMessagesApi } from './fake-messages-api.js';
import { makeTempProject, REPO_ROOT, runLogSession, runClaude, writeUserSettings, type TempProject } from './claude-session.js';


let api: FakeMessagesApi;
beforeAll(async () => {
  api = await startFakeMessagesApi();
});
afterAll(async () => {
  await api?.close();
});

/** The transcript as text (Claude Code notes the hooks it ran there); empty when missing. */
async function transcriptText(transcriptPath: string): Promise<string> {
  return existsSync(transcriptPath) ? await readFile(transcriptPath, 'utf8') : '';
}

const usersOwn = {
  model: 'claude-opus-5-5',
  env: { MY_FLAG: '1' },
  hooks: {
    SessionStart: [{ hooks: [{ type: 'command', command: 'true # users-own-start' }] }],
    Stop: [{ hooks: [{ type: 'command', command: 'true # users-own-stop' }] }],
    PostToolUse: [{ matcher: 'Write', hooks: [{ type: 'command', command: 'true # users-own-post' }] }],
  },
};

describe('settings route: log-session install into a user home', () => {
  let project: TempProject;
  const settingsPath = () => join(project.home, '.claude', 'settings.json');

  beforeAll(async () => {
    project = await makeTempProject();
    await writeUserSettings(project.home, usersOwn);
  });
  afterAll(async () => {
    await project?.cleanup();
  });

  it('installs twice without a byte changing the second time, keeping the user own hooks', async () => {
    const first = await runLogSession(project, 'install');
    expect(first, first.stderr).toMatchObject({ code: 0, stderr: '' });
    const once = await readFile(settingsPath(), 'utf8');
    expect((await runLogSession(project, 'install')).code).toBe(0);
    expect(await readFile(settingsPath(), 'utf8')).toBe(once);
    const settings = JSON.parse(once);
    expect(settings).toMatchObject({ model: usersOwn.model, env: usersOwn.env });
    expect(settings.hooks.PostToolUse).toEqual(usersOwn.hooks.PostToolUse);
    expect(settings.hooks.Stop[0]).toEqual(usersOwn.hooks.Stop[0]);
    expect(existsSync(join(project.home, '.claude', 'skills', 'log-session', 'SKILL.md'))).toBe(true);
  });

  it('a claude -p session runs our built Stop hook beside the user own one and exits 0 with no output of ours', async () => {
    api.script([{ text: 'Session over.' }]);
    const session = await runClaude({ home: project.home, cwd: project.cwd, apiUrl: api.url, prompt: 'Say hi.' });
    expect(session, session.stderr).toMatchObject({ exitCode: 0, timedOut: false });
    expect(session.stdout).toBe('Session over.\n');
    const transcript = await transcriptText(session.transcriptPath);
    // Claude Code notes a Stop hook in the transcript even when it prints nothing; SessionStart only with output.
    expect(transcript).toContain(JSON.stringify(`"${process.execPath}" "${REPO_ROOT}/dist/hooks/stop.cjs"`));
    expect(transcript).toContain('users-own-stop');
    expect(JSON.parse(await readFile(settingsPath(), 'utf8')).hooks.Stop[0]).toEqual(usersOwn.hooks.Stop[0]);
  });

  it('status names the settings file of each hook; uninstall gives back the user settings', async () => {
    const status = await runLogSession(project, 'status', '--json');
    const report = JSON.parse(status.stdout);
    for (const hook of report.hooks) expect(hook.registrations).toEqual([expect.objectContaining({ settingsFile: settingsPath(), fileExists: true })]);
    expect((await runLogSession(project, 'uninstall')).code).toBe(0);
    expect(JSON.parse(await readFile(settingsPath(), 'utf8'))).toEqual(usersOwn);
    expect(existsSync(join(project.home, '.claude', 'skills', 'log-session'))).toBe(false);
  });

  it('settings.json that is not JSON: exit 1, message names it, bytes unchanged', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(settingsPath(), '{ nope');
    const result = await runLogSession(project, 'install');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${settingsPath()} is not valid JSON`);
    expect(await readFile(settingsPath(), 'utf8')).toBe('{ nope');
  });
});
