import { describe, expect, it } from 'vitest';
import { toProjectFiles } from '../lib/project/files.js';

const roots = { projectRoot: '/home/u/code/app', home: '/home/u', bookkeeping: ['/home/u/.claude'] };

describe('toProjectFiles', () => {
  it('files inside the project are relative, with forward slashes', () => {
    expect(toProjectFiles(['/home/u/code/app/src/parse.ts', '/home/u/code/app/README.md'], roots)).toEqual(['README.md', 'src/parse.ts']);
  });

  it('files outside the project stay absolute, the home folder written as ~', () => {
    expect(toProjectFiles(['/home/u/code/lib/x.ts', '/etc/hosts', '/home/u/code/app-other/y.ts'], roots)).toEqual([
      '/etc/hosts',
      '~/code/app-other/y.ts',
      '~/code/lib/x.ts',
    ]);
  });

  it("Claude Code's own files (plans, todos) are left out", () => {
    expect(toProjectFiles(['/home/u/.claude/plans/mighty-dreaming-wolf.md', '/home/u/.claude/todos/a.json', '/home/u/.claude-notes.md'], roots)).toEqual([
      '~/.claude-notes.md',
    ]);
  });

  it('a config dir set elsewhere ($CLAUDE_CONFIG_DIR) is the one left out', () => {
    const custom = { ...roots, bookkeeping: ['/opt/claude'] };

    expect(toProjectFiles(['/opt/claude/plans/p.md', '/home/u/.claude/plans/p.md'], custom)).toEqual(['~/.claude/plans/p.md']);
  });

  it('relative paths are taken as relative to the project, and normalised', () => {
    expect(toProjectFiles(['src/a.ts', './src/b.ts', 'src/../c.ts', '../outside.ts'], roots)).toEqual([
      'c.ts',
      'src/a.ts',
      'src/b.ts',
      '~/code/outside.ts',
    ]);
  });

  it('the same file given twice, or in two spellings, is listed once; the list is sorted', () => {
    expect(toProjectFiles(['/home/u/code/app/b.ts', 'b.ts', '/home/u/code/app/a.ts', '/home/u/code/app//a.ts'], roots)).toEqual(['a.ts', 'b.ts']);
  });

  it('roots given with a trailing slash work the same', () => {
    const slashed = { projectRoot: '/home/u/code/app/', home: '/home/u/', bookkeeping: ['/home/u/.claude/'] };

    expect(toProjectFiles(['/home/u/code/app/a.ts', '/home/u/.claude/plans/p.md', '/home/u/z.ts'], slashed)).toEqual(['a.ts', '~/z.ts']);
  });

  it('accepts any iterable, e.g. a Set', () => {
    expect(toProjectFiles(new Set(['/home/u/code/app/a.ts']), roots)).toEqual(['a.ts']);
  });
});
