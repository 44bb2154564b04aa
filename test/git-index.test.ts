import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitIndexDigest, parseGitIndex } from '../lib/project/git-index.js';
import { readRepo, readWorkTree, snapshotForLater } from '../lib/project/git.js';
import { commitFiles, git, makeHome, type TempHome } from './helpers/temp-home.js';

let home: TempHome;
afterEach(async () => home?.remove());

const indexOf = async () => parseGitIndex(await readFile(join(home.project, '.git', 'index')));
const lines = (text: string) => text.split('\0').filter((line) => line !== '');

/** Paths long enough to need more than one padding step, sharing prefixes as version 4 compresses them. */
const TRACKED = ['README.md', 'src/a.js', 'src/ab.js', 'src/deep/er/still/file name with spaces.txt', `src/${'x'.repeat(200)}.js`, 'zé/ünïcode.txt'];

describe("git's index, read without git", () => {
  it('names the tracked paths as git ls-files does, in every index version and at any length, with one digest for the same paths', async () => {
    home = await makeHome();
    await commitFiles(home.project, ...TRACKED);
    // A submodule's entry, and a file only intended to be added (which makes the index version 3).
    await git(home.project, 'update-index', '--add', '--cacheinfo', `160000,${(await git(home.project, 'rev-parse', 'HEAD')).trim()},vendor/lib`);
    await writeFile(join(home.project, 'later.txt'), 'later\n');
    await git(home.project, 'add', '-N', 'later.txt');
    // A name longer than its entry's length field holds (4,095 bytes), and than version 4's first buffer for names.
    const long = Array.from({ length: 25 }, (_, depth) => `${depth}${'n'.repeat(199)}`).join('/');
    await git(home.project, 'update-index', '--add', '--cacheinfo', `100644,${(await git(home.project, 'rev-parse', 'HEAD:README.md')).trim()},${long}`);
    const expected = lines(await git(home.project, 'ls-files', '-z'));
    const digests = new Set<string>();
    for (const version of ['2', '3', '4']) {
      if (version !== '3') await git(home.project, 'update-index', '--index-version', version);
      // `git add -N` wrote version 3 already; 2 cannot hold its flag and keeps 3.
      const index = await indexOf();
      expect(index?.checkedOut).toEqual(expected);
      digests.add(index!.pathsDigest);
      expect(gitIndexDigest(await readFile(join(home.project, '.git', 'index')))).toBe(index!.pathsDigest);
    }
    expect(digests.size).toBe(1);
    await git(home.project, 'rm', '-q', '--cached', 'README.md');
    expect((await indexOf())?.pathsDigest).not.toBe([...digests][0]);
  });

  it('leaves out what git does not compare with the work tree: skip-worktree and assume-unchanged entries', async () => {
    home = await makeHome();
    await commitFiles(home.project, ...TRACKED);
    await git(home.project, 'update-index', '--skip-worktree', 'src/a.js');
    await git(home.project, 'update-index', '--assume-unchanged', 'src/ab.js');
    const index = await indexOf();
    expect(index?.checkedOut).toEqual(lines(await git(home.project, 'ls-files', '-z')).filter((path) => !['src/a.js', 'src/ab.js'].includes(path)));
  });

  it('reads nothing it does not take whole: a split or sparse index, another format, a cut or padded file', async () => {
    home = await makeHome();
    await commitFiles(home.project, ...TRACKED);
    const whole = await readFile(join(home.project, '.git', 'index'));
    expect(parseGitIndex(whole)).toBeDefined();
    for (let cut = 0; cut < whole.length; cut += 7) expect(parseGitIndex(whole.subarray(0, cut))).toBeUndefined();
    expect(parseGitIndex(Buffer.concat([whole, Buffer.alloc(8)]))).toBeUndefined();
    const otherVersion = Buffer.from(whole);
    otherVersion.writeUInt32BE(5, 4);
    expect(parseGitIndex(otherVersion)).toBeUndefined();
    await git(home.project, 'update-index', '--split-index');
    expect(await indexOf()).toBeUndefined();
    await git(home.project, 'update-index', '--no-split-index');
    await git(home.project, 'sparse-checkout', 'set', '--cone', '--sparse-index', 'src');
    expect(await indexOf()).toBeUndefined();
  });
});

describe("a session start's snapshot of the work tree", () => {
  it('names exactly the tracked files git status shows gone, whether read from the index or from git', async () => {
    home = await makeHome();
    await commitFiles(home.project, ...TRACKED, 'was-file/inside.txt', 'kept/one.txt', 'kept/two.txt', 'edited.txt', 'target.txt');
    // A tracked link whose target is gone is still there.
    await symlink('target.txt', join(home.project, 'link'));
    await git(home.project, 'add', 'link');
    await git(home.project, 'commit', '-qm', 'link');
    await rm(join(home.project, 'target.txt'));
    await rm(join(home.project, 'src/a.js'));
    await rm(join(home.project, 'kept/one.txt'));
    // A tracked file under a path that is now a file is gone; one replaced by a folder is a change of that folder.
    await rm(join(home.project, 'README.md'));
    await mkdir(join(home.project, 'README.md'));
    await rm(join(home.project, 'was-file'), { recursive: true });
    await writeFile(join(home.project, 'was-file'), 'now a file\n');
    await writeFile(join(home.project, 'edited.txt'), 'edited\n');
    await writeFile(join(home.project, 'untracked.txt'), 'new\n');
    const repo = readRepo(home.project, home.paths.gitConfigFiles)!;
    const gone = [...readWorkTree(repo.root)].filter(([, entry]) => entry.mtime === undefined).map(([path]) => path);
    expect(gone.sort()).toEqual(['kept/one.txt', 'src/a.js', 'target.txt', 'was-file/inside.txt']);

    const fromIndex = snapshotForLater(repo, new Date());
    expect(fromIndex.indexDigest).toBeDefined();
    expect(Object.keys(fromIndex.files).sort()).toEqual(gone.sort());
    // Where the index is not one read here, git status says the same.
    await git(home.project, 'update-index', '--split-index');
    const fromGit = snapshotForLater(repo, new Date());
    expect(fromGit.indexDigest).toBeUndefined();
    expect(Object.keys(fromGit.files).filter((path) => fromGit.files[path]!.endsWith('|gone')).sort()).toEqual(gone.sort());
  });
});
