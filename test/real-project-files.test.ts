import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { realProjectFiles } from '../lib/project/files.js';

let dir: string;
let project: string;
const roots = () => ({ projectRoot: project, home: dir, bookkeeping: [join(dir, '.claude')] });

beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'log-session-real-')));
  project = join(dir, 'project');
  await mkdir(join(project, 'src'), { recursive: true });
  await writeFile(join(project, 'src', 'a.ts'), '');
  await writeFile(join(project, 'src', 'target.ts'), '');
  await symlink(project, join(dir, 'link'));
  await symlink(join(project, 'src', 'target.ts'), join(project, 'src', 'alias.ts'));
});

afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('realProjectFiles', () => {
  it('a file reached through a symlinked folder, and the same file by its own path, are one file', async () => {
    expect(realProjectFiles([join(dir, 'link', 'src', 'a.ts'), join(project, 'src', 'a.ts')], roots())).toEqual(['src/a.ts']);
  });

  it('a file that is itself a symlink is its target', async () => {
    expect(realProjectFiles([join(project, 'src', 'alias.ts'), join(dir, 'link', 'src', 'alias.ts')], roots())).toEqual(['src/target.ts']);
  });

  it('a deleted file, in a folder that is gone too, keeps the real path of its nearest folder', async () => {
    const files = [join(dir, 'link', 'src', 'deleted.ts'), join(dir, 'link', 'gone', 'deeper', 'deleted.ts'), 'src/relative.ts'];

    expect(realProjectFiles(files, roots())).toEqual(['gone/deeper/deleted.ts', 'src/deleted.ts', 'src/relative.ts']);
  });

  it('a path below a file is kept as given', async () => {
    expect(realProjectFiles([join(dir, 'link', 'src', 'a.ts', 'x')], roots())).toEqual(['src/a.ts/x']);
  });
});
