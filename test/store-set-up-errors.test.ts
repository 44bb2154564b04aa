import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliWithFault } from './helpers/faults.js';
import { makeHomesRemovedAfterEach, runCli, runCliBoundByPermissions, type TempHome } from './helpers/temp-home.js';

const newHome = makeHomesRemovedAfterEach();

async function recordedHome(): Promise<TempHome> {
  const home = await newHome();
  expect((await runCli(home, ['record', '--session', 'S0', '--summary', 'First session.'])).code).toBe(0);
  return home;
}

const grantAccess = (folder: string) => `make ${folder} and the files in it yours and writable by you (chown -R, chmod -R u+rwX)`;

describe('a set-up problem is one line that names the real path and what to do, and exits 1', () => {
  /** A folder made read-only, what record is asked, and the line it must print. */
  const readOnlyFolders: Record<string, (home: TempHome) => { folder: string; args: string[]; said: string }> = {
    'a memory folder that cannot be written: record names sessions.json, never a temp file': (home) => {
      const folder = join(home.paths.projectsDir, 'widget');
      return { folder, args: [], said: `nothing was written to ${folder}/sessions.json, which is as it was; ${grantAccess(folder)}` };
    },
    "a state folder that cannot be written: record names the session's state file": (home) => {
      const folder = join(home.paths.stateDir, 'sessions');
      return { folder, args: [], said: `nothing was written to ${folder}/S1.json, which is as it was; ${grantAccess(folder)}` };
    },
    'a memory/projects that cannot be written: record names the project folder it could not create': (home) => {
      const folder = home.paths.projectsDir;
      return { folder, args: ['--project', 'brand-new'], said: `could not create the folder ${folder}/brand-new; ${grantAccess(folder)}` };
    },
  };

  it.each(Object.keys(readOnlyFolders))('%s', async (name) => {
    const home = await recordedHome();
    const { folder, args, said } = readOnlyFolders[name]!(home);
    await chmod(folder, 0o500);
    const result = await runCliBoundByPermissions(home, ['record', '--session', 'S1', '--summary', 'Second session.', ...args]);
    await chmod(folder, 0o700);
    expect(result.stderr).toBe(`log-session record: permission denied: ${said}\n`);
    expect(result.code).toBe(1);
  });

  it('denied at any open, rename or folder creation, record says so in one line naming a real path, never a temp file', async () => {
    const home = await recordedHome();
    // A new session each time: every run makes the same calls in the same order.
    const args = (session: string) => ['record', '--session', session, '--summary', 'Another session.'];
    const fault = { ops: 'open,rename,mkdir', code: 'EACCES' };
    const { calls } = await runCliWithFault(home, args('counted'), '', { ...fault, at: 0 });
    expect(calls).toBeGreaterThan(5);
    for (let at = 1; at <= calls; at++) {
      const result = await runCliWithFault(home, args(`S${at}`), '', { ...fault, at });
      const lines = result.stderr.trim().split('\n');
      expect(result.code, `call ${at}: ${result.stderr}`).toBe(1);
      expect(lines, `call ${at}`).toHaveLength(1);
      expect(lines[0], `call ${at}`).toMatch(/^log-session record: permission denied: (nothing was written to|could not (read|open the lock|create the folder)|the folder) \//);
      expect(lines[0], `call ${at}`).not.toMatch(/\.tmp\b|\.json\.\d+/);
    }
  });
});
