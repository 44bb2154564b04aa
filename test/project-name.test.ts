import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageSlug, projectName, projectNameAt, repoNameFromRemote, toSafeSlug } from '../lib/project/name.js';

describe('repoNameFromRemote', () => {
  it.each([
    ['git@github.com:acme/widget-core.git', 'widget-core'],
    ['https://github.com/acme/widget-core.git', 'widget-core'],
    ['https://github.com/acme/widget-core', 'widget-core'],
    ['https://github.com/acme/widget-core/', 'widget-core'],
    ['https://github.com/acme/widget-core.git/', 'widget-core'],
    ['https://user:pw@gitlab.example.com/group/sub/widget.git', 'widget'],
    ['ssh://git@host.example:2222/acme/widget.git', 'widget'],
    ['git://host/acme/widget.git', 'widget'],
    ['file:///srv/repos/widget.git', 'widget'],
    ['/srv/repos/widget.git', 'widget'],
    ['../widget', 'widget'],
    ['C:\\repos\\widget', 'widget'],
    ['host:widget.git', 'widget'],
    ['  https://github.com/acme/widget.git\n', 'widget'],
    ['https://github.com/acme/widget.git?ref=x', 'widget'],
  ])('%s → %s', (url, name) => {
    expect(repoNameFromRemote(url)).toBe(name);
  });

  it.each(['', '   ', 'https://github.com/', 'https://github.com', '/', 'git@github.com:', '.git'])('no name in %j', (url) => {
    expect(repoNameFromRemote(url)).toBeUndefined();
  });
});

describe('packageSlug', () => {
  it('a scoped name joins scope and name', () => {
    expect(packageSlug('@acme/widget')).toBe('acme-widget');
  });

  it('a plain name is kept', () => {
    expect(packageSlug('widget-core')).toBe('widget-core');
  });
});

describe('toSafeSlug', () => {
  it('keeps letters, digits, dot, underscore and dash', () => {
    expect(toSafeSlug('Widget_core.v2-beta')).toBe('Widget_core.v2-beta');
  });

  it('other characters become one dash, none at the ends', () => {
    expect(toSafeSlug('  my  project!! ')).toBe('my-project');
    expect(toSafeSlug('a//b--c')).toBe('a-b-c');
  });

  it('drops accents and leading dots', () => {
    expect(toSafeSlug('café')).toBe('cafe');
    expect(toSafeSlug('.hidden')).toBe('hidden');
    expect(toSafeSlug('...')).toBe('project');
  });

  it('is at most 100 characters and does not end in a dash after cutting', () => {
    expect(toSafeSlug('a'.repeat(300))).toBe('a'.repeat(100));
    expect(toSafeSlug('a'.repeat(99) + ' b')).toBe('a'.repeat(99));
  });

  it('is never empty', () => {
    expect(toSafeSlug('')).toBe('project');
    expect(toSafeSlug('日本語')).toBe('project');
  });

  const base = '/home/u/aiconfig/memory/projects';
  it.each([
    '../../x',
    '@a/b',
    '..',
    '.',
    'x'.repeat(300),
    'a\0b',
    '\0',
    'a/../../b',
    '/etc/passwd',
    '..\\..\\windows',
    'C:\\Windows',
    'über/ñame',
    '🚀',
    '   ',
    '\t\n',
    '',
    '-',
    '.-.-..',
  ])('%j stays one folder directly below memory/projects', (raw) => {
    const slug = toSafeSlug(raw);
    const target = join(base, slug);

    expect(dirname(target)).toBe(base);
    expect(basename(target)).toBe(slug);
    expect(slug).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/);
    expect(slug).not.toMatch(/-$/);
  });
});

describe('projectName', () => {
  const all = {
    explicit: 'Chosen Name',
    originUrl: 'git@github.com:acme/widget-core.git',
    packageName: '@acme/widget',
    folderName: 'checkout-2',
  };

  it('--project wins, as a slug', () => {
    expect(projectName(all)).toBe('Chosen-Name');
  });

  it('then the origin repository name', () => {
    expect(projectName({ ...all, explicit: undefined })).toBe('widget-core');
  });

  it('then package.json name', () => {
    expect(projectName({ packageName: '@acme/widget', folderName: 'checkout-2' })).toBe('acme-widget');
  });

  it('then the folder name', () => {
    expect(projectName({ folderName: 'checkout 2' })).toBe('checkout-2');
  });

  it('an empty or unusable source gives way to the next', () => {
    expect(projectName({ explicit: '', originUrl: 'https://github.com/', packageName: '', folderName: 'app' })).toBe('app');
    expect(projectName({ explicit: '..', folderName: 'app' })).toBe('app');
  });

  it('an explicit path cannot climb out', () => {
    expect(projectName({ explicit: '../../etc', folderName: 'app' })).toBe('etc');
    expect(projectName({ explicit: '/etc/passwd', folderName: 'app' })).toBe('etc-passwd');
  });

  it('nothing usable at all gives "project"', () => {
    expect(projectName({ folderName: '/' })).toBe('project');
  });
});

describe("a folder's package.json, read for the project's name", () => {
  const folderWith = (make: (manifest: string) => void): string => {
    const root = join(mkdtempSync(join(tmpdir(), 'log-session-')), 'checkout-2');
    mkdirSync(root);
    make(join(root, 'package.json'));
    return root;
  };

  it('names the project; a FIFO or a file past 1 MB there is not read, and the folder names it', () => {
    const named = folderWith((manifest) => writeFileSync(manifest, JSON.stringify({ name: '@acme/widget' })));
    // Valid JSON whose name is the same, padded past the limit: only its size keeps it unread.
    const huge = folderWith((manifest) => writeFileSync(manifest, `{"name": "@acme/widget"${' '.repeat(1 << 20)}}`));
    const fifo = folderWith((manifest) => execFileSync('mkfifo', [manifest]));
    try {
      expect([named, huge, fifo].map((root) => projectNameAt(root))).toEqual(['acme-widget', 'checkout-2', 'checkout-2']);
    } finally {
      for (const root of [named, huge, fifo]) rmSync(dirname(root), { recursive: true, force: true });
    }
  });
});
