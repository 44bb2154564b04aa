import { chmod, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeHomesRemovedAfterEach, runCli, runCliBoundByPermissions, type TempHome } from './helpers/temp-home.js';

const makeHome = makeHomesRemovedAfterEach();

/** Two sessions recorded through the real `record`: a follow-up done by the second, an ADR it supersedes. */
async function recordTwoSessions(home: TempHome): Promise<void> {
  const first = await runCli(home, [
    'record', '--session', 'S1', '--summary', 'Parser set up <script>alert(1)</script>', '--follow-up', 'Write tests',
    '--follow-up', 'Add docs', '--decision', 'Use zod', '--rationale', 'typed', '--adr-title', 'Parse with zod',
    '--adr-decision', 'zod everywhere', '--next', 'Start from the parser', '--focus', 'Parsing', '--issue', 'Slow on big files',
  ]);
  expect(first.code, first.stderr).toBe(0);
  const second = await runCli(home, [
    'record', '--session', 'S2', '--summary', 'Tests written', '--done', 'Write tests', '--adr-title', 'Parse with zod/mini',
    '--adr-decision', 'zod/mini', '--supersedes', 'ADR-001',
  ]);
  expect(second.code, second.stderr).toBe(0);
}

describe('log-session export', () => {
  it('prints the journal as markdown by default: newest session first, done and superseded marked', async () => {
    const home = await makeHome();
    await recordTwoSessions(home);
    const run = await runCli(home, ['export']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^# Journal of widget\n/);
    expect(run.stdout.indexOf('Tests written')).toBeLessThan(run.stdout.indexOf('Parser set up'));
    expect(run.stdout).toContain('Parser set up \\<script\\>alert(1)\\</script\\>');
    expect(run.stdout).toMatch(/- \[x\] Write tests \(done \d{4}-\d{2}-\d{2}, session-\d{8}-\d{6}\)/);
    expect(run.stdout).toMatch(/## Open follow-ups\n\n- \[ \] Add docs \(open since \d{4}-\d{2}-\d{2}\)/);
    expect(run.stdout).toContain('Decision records: ADR-001: Parse with zod (superseded by ADR-002)');
    expect(run.stdout).toMatch(/### ADR-001: Parse with zod\n\n\d{4}-\d{2}-\d{2} · \*\*superseded\*\* by ADR-002/);
  });

  it('writes HTML to --out (relative to the folder), replacing the file whole and leaving nothing else', async () => {
    const home = await makeHome();
    await recordTwoSessions(home);
    await writeFile(join(home.project, 'journal.html'), 'an older export, longer than nothing '.repeat(10_000));
    const run = await runCli(home, ['export', '--project', 'widget', '--format', 'html', '--out', 'journal.html']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`Wrote the journal of widget (2 sessions, 2 decision records) to ${join(home.project, 'journal.html')}\n`);
    const page = await readFile(join(home.project, 'journal.html'), 'utf8');
    expect(page).toMatch(/^<!doctype html>\n[\s\S]*<\/html>\n$/);
    expect(page).toContain('<p class="summary">Parser set up &lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect((await readdir(home.project)).sort()).toEqual(['.git', 'README.md', 'journal.html']);
  });

  it.each([
    ['a .html file gets HTML', 'out.html', /^<!doctype html>/],
    ['a .HTM file gets HTML', 'out.HTM', /^<!doctype html>/],
    ['any other file gets markdown', 'out.md', /^# Journal of widget/],
  ])('without --format, %s', async (_case, file, start) => {
    const home = await makeHome();
    await recordTwoSessions(home);
    const run = await runCli(home, ['export', '--out', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(await readFile(join(home.project, file), 'utf8')).toMatch(start);
  });

  it('an empty project exports an empty journal that says so', async () => {
    const home = await makeHome();
    const run = await runCli(home, ['export', '--format', 'html']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('<p class="none">No sessions recorded yet.</p>');
  });

  it.each([
    ['a format it does not know', ['--format', 'pdf'], "log-session export: --format expects md or html, got 'pdf'\n"],
    ['a format named like an object property', ['--format', 'toString'], "log-session export: --format expects md or html, got 'toString'\n"],
    ['an empty --out', ['--out', ''], "log-session export: --out expects a file path, got ''\n"],
    ['an --out in a folder that does not exist', ['--out', 'missing/journal.md'], 'log-session export: cannot write --out {project}/missing/journal.md: the folder {project}/missing does not exist; create it, or pick a file in a folder that does\n'],
    ['an --out that is a folder', ['--out', '.git'], 'log-session export: cannot write --out {project}/.git: it is a folder; name a file in it\n'],
    ['an --out under a file', ['--out', 'README.md/journal.md'], 'log-session export: cannot write --out {project}/README.md/journal.md: {project}/README.md is not a folder; pick a file in a folder\n'],
    ['an --out among the memory files', ['--out', '{memory}/sessions.json'], 'log-session export: --out {memory}/sessions.json is inside {projects}, where log-session keeps its own files; write the journal elsewhere\n'],
    ['an --out in the state folder', ['--out', '{home}/.local/state/log-session/journal.md'], 'log-session export: --out {home}/.local/state/log-session/journal.md is inside {home}/.local/state/log-session, where log-session keeps its own files; write the journal elsewhere\n'],
    ['a project with no memory', ['--project', 'nope'], "log-session export: no memory for project 'nope'; known projects: widget\n"],
  ])('%s is a usage error (exit 1) that says what to change, and nothing is written', async (_case, args, message) => {
    const home = await makeHome();
    await recordTwoSessions(home);
    const memory = join(home.paths.projectsDir, 'widget');
    const sessionsBefore = await readFile(join(memory, 'sessions.json'), 'utf8');
    const place = (text: string) =>
      text.replaceAll('{project}', home.project).replaceAll('{memory}', memory).replaceAll('{projects}', home.paths.projectsDir).replaceAll('{home}', home.dir);
    const run = await runCli(home, ['export', ...args.map(place)]);
    expect(run).toMatchObject({ code: 1, stdout: '', stderr: place(message) });
    expect((await readdir(home.project)).sort()).toEqual(['.git', 'README.md']);
    expect(await readFile(join(memory, 'sessions.json'), 'utf8')).toBe(sessionsBefore);
  });

  it('an --out that reaches the memory folder through a link is refused too', async () => {
    const home = await makeHome();
    await recordTwoSessions(home);
    const memory = join(home.paths.projectsDir, 'widget');
    await symlink(memory, join(home.project, 'notes'));
    const run = await runCli(home, ['export', '--out', 'notes/context.json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`log-session export: --out ${home.project}/notes/context.json is inside ${home.paths.projectsDir}, where log-session keeps its own files; write the journal elsewhere\n`);
    expect(JSON.parse(await readFile(join(memory, 'context.json'), 'utf8'))).toMatchObject({ current_focus: 'Parsing' });
  });

  it('an --out in a folder the user may not write is a usage error naming it', async () => {
    const home = await makeHome();
    await recordTwoSessions(home);
    const locked = join(home.project, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o555);
    const run = await runCliBoundByPermissions(home, ['export', '--out', 'locked/journal.md']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toBe(`log-session export: cannot write --out ${locked}/journal.md: permission denied; pick a file you may write, or make ${locked} writable\n`);
    expect(await readdir(locked)).toEqual([]);
    expect((await stat(locked)).mode & 0o777).toBe(0o555);
  });

  it('--help says what it writes and its options', async () => {
    const home = await makeHome();
    const run = await runCli(home, ['export', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: log-session export \[--project NAME\] \[--format md\|html\] \[--out FILE\]\n/);
    expect(run.stdout).toContain('--out FILE');
    const overview = await runCli(home, ['--help']);
    expect(overview.stdout).toContain('  export     write the journal of a project: markdown, or one HTML page\n');
  });
});
