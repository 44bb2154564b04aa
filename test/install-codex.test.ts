import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import matter from 'gray-matter';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../lib/errors.js';
import { hookStateKey, trustedHash, withTrustBlock } from '../lib/install/codex-trust.js';
import { eachTestInstallerHome, runInstaller } from './helpers/package-folder.js';
import type { TempHome } from './helpers/temp-home.js';

let home: TempHome;
let pkg: string;
eachTestInstallerHome((madeHome, madePackage) => {
  home = madeHome;
  pkg = madePackage;
});

function run(name: 'install' | 'uninstall' | 'status', ...args: string[]) {
  return runInstaller(pkg, home, name, args);
}

const codexDir = () => join(home.dir, '.codex');
const hooksFile = () => join(codexDir(), 'hooks.json');
const configFile = () => join(codexDir(), 'config.toml');
const usersConfig = '# my settings\nmodel = "gpt-5.5"\n\n[model_providers.mine]\nname = "mine"\n';

async function writeUsers(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

describe('trust', () => {
  // Hooks whose trust entries these hashes were: the real Codex 0.171.0 ran them with the entries and not without.
  it.each([
    ['SessionStart', '/tmp/cx/drive/hook.sh start', 10, 'sha256:9c8c31448544c8a4fd4740fb37e078883daf2dd4ba291a4452b96750d3783f6f'],
    ['Stop', '/tmp/cx/drive/hook.sh stop', 30, 'sha256:54fd90db111404aa6b6ff004179e695a38ccd030adbcc8dd9ddb1b25769b4868'],
  ])('a %s hook is trusted by the hash Codex checks', (event, command, timeout, hash) => {
    expect(trustedHash(event, { type: 'command', command, timeout })).toBe(hash);
  });
});

describe('install --client codex', () => {
  it("registers SessionStart and Stop, trusts exactly them, writes the skills; a second run changes no byte; uninstall gives the user's files back", async () => {
    await writeUsers(configFile(), usersConfig);
    expect(await run('install', '--client', 'codex')).toMatchObject({ code: 0, stderr: '' });
    // Node by absolute path: Codex runs hooks through a login shell, whose PATH may not hold the installer's Node.
    const commandOf = (file: string) => `"${process.execPath}" "${pkg}/dist/hooks/${file}" --client codex`;
    expect(JSON.parse(await readFile(hooksFile(), 'utf8'))).toEqual({
      hooks: {
        SessionStart: [{ hooks: [{ type: 'command', command: commandOf('session-start.js'), timeout: 10 }] }],
        Stop: [{ hooks: [{ type: 'command', command: commandOf('stop.cjs'), timeout: 30 }] }],
      },
    });
    const config = await readFile(configFile(), 'utf8');
    expect(config.startsWith(`${usersConfig}\n# log-session:`)).toBe(true);
    const start = trustedHash('SessionStart', { type: 'command', command: commandOf('session-start.js'), timeout: 10 });
    expect(config).toContain(`[hooks.state.${JSON.stringify(`${hooksFile()}:session_start:0:0`)}]\ntrusted_hash = "${start}"\n`);
    expect(config).toContain(`[hooks.state.${JSON.stringify(`${hooksFile()}:stop:0:0`)}]\n`);
    const skill = await readFile(join(codexDir(), 'skills', 'log-session', 'SKILL.md'), 'utf8');
    expect(matter(skill).data).toEqual({ name: 'log-session', description: expect.any(String) });
    expect(skill).toContain(`node "${pkg}/dist/cli.js" facts\n`);
    expect(skill).not.toContain('CLAUDE');
    expect(existsSync(join(codexDir(), 'skills', 'log-session-recall', 'SKILL.md'))).toBe(true);

    const installed = [await readFile(hooksFile(), 'utf8'), config];
    expect((await run('install', '--client', 'codex')).stdout).not.toMatch(/\((registered|trusted|written)\)/);
    expect([await readFile(hooksFile(), 'utf8'), await readFile(configFile(), 'utf8')]).toEqual(installed);

    expect((await run('uninstall', '--client', 'codex')).code).toBe(0);
    expect(await readFile(configFile(), 'utf8')).toBe(usersConfig);
    expect(existsSync(hooksFile())).toBe(false);
    expect(existsSync(join(codexDir(), 'skills'))).toBe(false);
    expect((await run('uninstall', '--client', 'codex')).stdout).toContain('none of ours');
  });

  it("keeps the user's own hooks: ours go after them, are keyed by their place, and uninstall restores the file byte for byte", async () => {
    const own = `${JSON.stringify({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'notify-send done' }] }] } }, null, '\t')}\n`;
    await writeUsers(hooksFile(), own);
    await run('install', '--client', 'codex');
    const hooks = JSON.parse(await readFile(hooksFile(), 'utf8')).hooks;
    expect(hooks.Stop).toHaveLength(2);
    expect(hooks.Stop[0]).toEqual({ hooks: [{ type: 'command', command: 'notify-send done' }] });
    expect(await readFile(configFile(), 'utf8')).toContain(`${hooksFile()}:stop:1:0`);
    await run('uninstall', '--client', 'codex');
    expect(await readFile(hooksFile(), 'utf8')).toBe(own);
    expect(existsSync(configFile())).toBe(false);
  });

  it('leaves a state Codex holds for our hook (here: disabled) as it is, and says the one step left', async () => {
    const key = `${hooksFile()}:session_start:0:0`;
    const own = `[hooks.state.${JSON.stringify(key)}]\nenabled = false\n`;
    await writeUsers(configFile(), own);
    const result = await run('install', '--client', 'codex');
    expect(result.stdout).toContain(`one step left: Codex keeps its own review of ${key}`);
    const config = await readFile(configFile(), 'utf8');
    expect(config.match(/session_start/g)).toHaveLength(1);
    expect(config).toContain(':stop:0:0');
    await run('uninstall', '--client', 'codex');
    expect(await readFile(configFile(), 'utf8')).toBe(own);
  });

  it('an older install that called node by name: install puts the absolute Node in its place and trusts that; uninstall gives the config back', async () => {
    const byName = (file: string) => ({ type: 'command' as const, command: `node "${pkg}/dist/hooks/${file}" --client codex`, timeout: 10 });
    const older = { hooks: { SessionStart: [{ hooks: [byName('session-start.js')] }], Stop: [{ hooks: [byName('stop.cjs')] }] } };
    await writeUsers(hooksFile(), `${JSON.stringify(older, null, 2)}\n`);
    const trust = (hooks: typeof older) =>
      withTrustBlock(usersConfig, [
        { key: hookStateKey(hooksFile(), 'SessionStart', 0, 0), hash: trustedHash('SessionStart', hooks.hooks.SessionStart[0]!.hooks[0]!) },
        { key: hookStateKey(hooksFile(), 'Stop', 0, 0), hash: trustedHash('Stop', hooks.hooks.Stop[0]!.hooks[0]!) },
      ]);
    await writeUsers(configFile(), trust(older));

    expect(await run('install', '--client', 'codex')).toMatchObject({ code: 0, stderr: '' });
    const installed = JSON.parse(await readFile(hooksFile(), 'utf8'));
    expect(installed.hooks.SessionStart).toEqual([{ hooks: [{ type: 'command', command: `"${process.execPath}" "${pkg}/dist/hooks/session-start.js" --client codex`, timeout: 10 }] }]);
    expect(installed.hooks.Stop[0].hooks[0].command).toBe(`"${process.execPath}" "${pkg}/dist/hooks/stop.cjs" --client codex`);
    expect(await readFile(configFile(), 'utf8')).toBe(trust(installed));

    expect((await run('uninstall', '--client', 'codex')).code).toBe(0);
    expect(await readFile(configFile(), 'utf8')).toBe(usersConfig);
    expect(existsSync(hooksFile())).toBe(false);
  });

  it('a config.toml that is not TOML: nothing changes, a usage error names the file', async () => {
    await writeUsers(configFile(), 'model = \n');
    await expect(run('install', '--client', 'codex')).rejects.toThrow(UsageError);
    await expect(run('install', '--client', 'codex')).rejects.toThrow(configFile());
    expect(existsSync(hooksFile())).toBe(false);
    expect(await readFile(configFile(), 'utf8')).toBe('model = \n');
  });

  it('--dry-run writes nothing; status says what is registered and trusted', async () => {
    await run('install', '--client', 'codex', '--dry-run');
    expect(existsSync(codexDir())).toBe(false);
    await run('install', '--client', 'codex');
    const status = JSON.parse((await run('status', '--client', 'codex', '--json')).stdout);
    expect(status.hooks.map((hook: { event: string; trusted: boolean }) => [hook.event, hook.trusted])).toEqual([
      ['SessionStart', true],
      ['Stop', true],
    ]);
  });
});

describe('--client', () => {
  it('all installs into every agent, and --json keys each report by agent', async () => {
    const result = await run('install', '--client', 'all', '--json');
    expect(Object.keys(JSON.parse(result.stdout))).toEqual(['claude-code', 'codex', 'gemini']);
    expect(existsSync(join(home.dir, '.claude', 'settings.json'))).toBe(true);
    expect(existsSync(hooksFile())).toBe(true);
    expect(existsSync(join(home.dir, '.gemini', 'settings.json'))).toBe(true);
  });

  it('an unknown agent is a usage error naming the choices', async () => {
    await expect(run('install', '--client', 'vim')).rejects.toThrow("--client must be one of claude-code|codex|gemini|all, got 'vim'");
  });
});
