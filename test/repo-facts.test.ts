import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readRepoFiles } from '../lib/project/git-files.js';
import { readRepo, readRepoWithBranch } from '../lib/project/git.js';
import { resolvePaths } from '../lib/paths.js';
import { git, makeHomesRemovedAfterEach, type TempHome } from './helpers/temp-home.js';

/**
 * A repository's root, origin and branch are read from git's files where those settle them, else asked of git:
 * either way the answer is git's own (`readRepoWithBranch(cwd, undefined)` asks git every time).
 */
describe('repository facts without running git', () => {
  const makeHome = makeHomesRemovedAfterEach();
  let home: TempHome;
  beforeEach(async () => {
    home = await makeHome({ originUrl: 'git@github.com:acme/widget-core.git' });
    // The git that answers reads this home's global config, as the hooks' git does.
    vi.stubEnv('HOME', home.dir);
    vi.stubEnv('XDG_CONFIG_HOME', join(home.dir, '.config'));
  });
  afterEach(() => void vi.unstubAllEnvs());

  const files = () => resolvePaths(home.env).gitConfigFiles;
  async function expectAsGitSays(cwd: string, from: 'files' | 'git'): Promise<void> {
    const asGitSays = readRepoWithBranch(cwd, undefined);
    // Read from the files, the facts also name the .git folder (the start reads its index).
    const { gitDir, ...asFilesSay } = readRepoWithBranch(cwd, files()) ?? { gitDir: undefined };
    expect(asGitSays ? asFilesSay : undefined).toEqual(asGitSays);
    expect(gitDir).toBe(from === 'files' && asGitSays ? join(asGitSays.root, '.git') : undefined);
    const { branch: _branch, ...rootAndOrigin } = asGitSays ?? { root: '' };
    if (asGitSays) expect(readRepo(cwd, files())).toMatchObject(rootAndOrigin);
    else expect(readRepo(cwd, files())).toBeUndefined();
    expect(readRepoFiles(cwd, files()) === undefined ? 'git' : 'files').toBe(from);
  }

  it('reads root, origin and branch from the files, in a subfolder too', async () => {
    await mkdir(join(home.project, 'src', 'deep'), { recursive: true });
    await expectAsGitSays(home.project, 'files');
    await expectAsGitSays(join(home.project, 'src', 'deep'), 'files');
    expect(readRepoWithBranch(join(home.project, 'src'), files())).toEqual({
      root: home.project,
      originUrl: 'git@github.com:acme/widget-core.git',
      branch: 'main',
      gitDir: join(home.project, '.git'),
    });
  });

  it('says there is no repository where git finds none, and no origin where none is set', async () => {
    const outside = join(home.dir, 'loose');
    await mkdir(outside);
    await expectAsGitSays(outside, 'files');
    expect(readRepo(outside, files())).toBeUndefined();
    await git(home.project, 'remote', 'remove', 'origin');
    await expectAsGitSays(home.project, 'files');
  });

  it('names no branch when HEAD is detached, and another branch once checked out', async () => {
    await git(home.project, 'checkout', '-q', '--detach');
    await expectAsGitSays(home.project, 'files');
    await git(home.project, 'checkout', '-q', '-b', 'feature/x');
    await expectAsGitSays(home.project, 'files');
  });

  it('resolves a symbolic link to the work tree as git does', async () => {
    const link = join(home.dir, 'link-to-widget');
    await symlink(home.project, link);
    await expectAsGitSays(join(link), 'files');
  });

  it('reads config written by hand: section and key case, old-style sections, comments', async () => {
    await writeFile(
      join(home.project, '.git', 'config'),
      '# hand-written\n[core]\n\trepositoryformatversion = 0\n\tbare = false\n[Remote "upstream"]\n\turl = https://example.com/other.git\n' +
        '[REMOTE "origin"]\n\tURL = https://example.com/acme/first.git ; a comment\n\turl = https://example.com/acme/second.git\n',
    );
    await expectAsGitSays(home.project, 'git');
    await writeFile(join(home.project, '.git', 'config'), '[remote.origin]\n  url=https://example.com/acme/old-style.git\n');
    await expectAsGitSays(home.project, 'files');
    await writeFile(join(home.project, '.git', 'config'), '[remote "origin"]\n\tURL = https://example.com/acme/first.git\n\turl = https://example.com/acme/second.git\n');
    await expectAsGitSays(home.project, 'files');
  });

  it('asks git where config could change the answer: includes, URL rewrites, quotes', async () => {
    await writeFile(join(home.dir, '.gitconfig'), '[url "https://mirror.example.com/"]\n\tinsteadOf = git@github.com:\n');
    await expectAsGitSays(home.project, 'git');
    expect(readRepo(home.project, files())?.originUrl).toBe('https://mirror.example.com/acme/widget-core.git');
    await writeFile(join(home.dir, '.gitconfig'), '');

    await writeFile(join(home.dir, 'extra.config'), '[remote "origin"]\n\turl = https://example.com/included.git\n');
    await git(home.project, 'config', 'include.path', join(home.dir, 'extra.config'));
    await git(home.project, 'remote', 'remove', 'origin');
    await expectAsGitSays(home.project, 'git');
    expect(readRepo(home.project, files())?.originUrl).toBe('https://example.com/included.git');

    await git(home.project, 'config', '--unset', 'include.path');
    await git(home.project, 'remote', 'add', 'origin', 'https://example.com/acme/a#b.git');
    await expectAsGitSays(home.project, 'git');
  });

  it('asks git for a linked work tree, an unusable .git folder, and under GIT_* variables', async () => {
    const linked = join(home.dir, 'work', 'widget-linked');
    await git(home.project, 'worktree', 'add', '-q', linked);
    await expectAsGitSays(linked, 'git');

    // An empty .git folder is not a repository to git, which goes on to the one above.
    await mkdir(join(home.project, 'vendor', 'lib', '.git'), { recursive: true });
    await expectAsGitSays(join(home.project, 'vendor', 'lib'), 'git');
    expect(readRepo(join(home.project, 'vendor', 'lib'), files())?.root).toBe(home.project);

    expect(resolvePaths({ ...home.env, GIT_DIR: join(home.project, '.git') }).gitConfigFiles).toBeUndefined();
    expect(resolvePaths({ ...home.env, GIT_CONFIG_GLOBAL: '/dev/null' }).gitConfigFiles).toBeUndefined();
  });

  it('never waits on a FIFO nor holds a huge file where git keeps config: git is asked instead', async () => {
    execFileSync('mkfifo', [join(home.dir, '.gitconfig')]);
    expect(readRepoFiles(home.project, files())).toBeUndefined();
    await rm(join(home.dir, '.gitconfig'));

    await appendFile(join(home.project, '.git', 'config'), `# ${'x'.repeat(100)}\n`.repeat(12_000));
    await expectAsGitSays(home.project, 'git');
  });
});

