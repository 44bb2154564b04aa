import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeHome, runCli, type TempHome } from './helpers/temp-home.js';
import { transcript } from './helpers/transcript-builder.js';

let home: TempHome;
afterEach(async () => home?.remove());

const memoryDir = (project = 'widget-core') => join(home.paths.projectsDir, project);
const readMemory = async (file: string, project?: string) =>
  JSON.parse(await readFile(join(memoryDir(project), file), 'utf8')) as Record<string, any>;

const input = {
  summary: 'Added the tokenizer and wired it into the parser.',
  decisions_made: [{ decision: 'Hand-written tokenizer', rationale: 'the grammar is tiny' }, 'Keep ESM only'],
  follow_up: ['Add error recovery'],
  tags: ['parser'],
  context_for_next_session: 'Start with error recovery in src/parse.ts.',
};

describe('log-session record', () => {
  it('writes the three files in aiconfig shapes and prints the block', async () => {
    home = await makeHome({ originUrl: 'git@github.com:acme/widget-core.git' });
    await transcript({ cwd: home.project, sessionId: 'S1' }).prompt('Add the tokenizer').write('README.md').saveUnder(home.paths);
    const result = await runCli(home, ['record', '--session', 'S1'], JSON.stringify({ ...input, current_focus: 'parser' }));

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'Session logged to: ~/aiconfig/memory/projects/widget-core/sessions.json',
        '',
        'Recorded:',
        '- Summary: Added the tokenizer and wired it into the parser.',
        '- Files: 1 modified',
        '- Decisions: 2 recorded',
        '- Follow-ups: 1 tasks',
        '',
        'Next session hint: Start with error recovery in src/parse.ts.',
        '',
      ].join('\n'),
    );
    const sessions = await readMemory('sessions.json');
    expect(sessions.project).toBe('widget-core');
    expect(sessions.sessions).toHaveLength(1);
    const entry = sessions.sessions[0];
    expect(Object.keys(entry).sort()).toEqual(
      ['client', 'context_for_next_session', 'date', 'decisions_made', 'duration_estimate', 'files_modified', 'follow_up', 'id', 'summary', 'tags'].sort(),
    );
    expect(entry.id).toMatch(/^session-\d{8}-\d{6}$/);
    expect(entry.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(entry.client).toBe('claude-code');
    expect(entry.duration_estimate).toMatch(/^~\d+min$/);
    expect(entry.files_modified).toEqual(['README.md']);
    expect(entry.decisions_made).toEqual([{ decision: 'Hand-written tokenizer', rationale: 'the grammar is tiny' }, { decision: 'Keep ESM only' }]);

    const context = await readMemory('context.json');
    expect(context).toMatchObject({
      project: 'widget-core',
      current_focus: 'parser',
      active_branches: ['main'],
      repository: 'git@github.com:acme/widget-core.git',
    });
    expect(Date.parse(context.created)).not.toBeNaN();
  });

  it('recording the same session again updates its one entry', async () => {
    home = await makeHome();
    const t = transcript({ cwd: home.project, sessionId: 'S1' }).prompt('Add the tokenizer');
    await t.saveUnder(home.paths);
    await runCli(home, ['record', '--session', 'S1'], JSON.stringify(input));
    await t.write('new.ts').append();
    const again = await runCli(home, ['record', '--session', 'S1'], JSON.stringify({ summary: 'Second pass.', files_modified: ['docs/extra.md'] }));
    expect(again.code).toBe(0);
    const { sessions } = await readMemory('sessions.json', 'widget');
    expect(sessions).toHaveLength(1);
    expect(sessions[0].summary).toBe('Second pass.');
    expect(sessions[0].files_modified).toEqual(['docs/extra.md', 'new.ts']);
  });

  it('takes the session from CLAUDE_CODE_SESSION_ID', async () => {
    home = await makeHome();
    const env = { CLAUDE_CODE_SESSION_ID: 'abc' };
    await runCli(home, ['record'], JSON.stringify(input), home.project, env);
    await runCli(home, ['record'], JSON.stringify(input), home.project, env);
    expect((await readMemory('sessions.json', 'widget')).sessions).toHaveLength(1);
  });

  it('allocates ADR numbers and links them to the session', async () => {
    home = await makeHome();
    const adr = { title: 'Use zod', decision: 'Validate with zod', alternatives_considered: ['ajv'] };
    await runCli(home, ['record', '--session', 'A'], JSON.stringify({ ...input, adrs: [adr] }));
    await runCli(home, ['record', '--session', 'B'], JSON.stringify({ ...input, adrs: [{ ...adr, title: 'Second' }] }));
    const { decisions } = await readMemory('decisions.json', 'widget');
    const { sessions } = await readMemory('sessions.json', 'widget');
    expect(decisions.map((d: any) => d.id)).toEqual(['ADR-001', 'ADR-002']);
    expect(decisions[0]).toMatchObject({ title: 'Use zod', status: 'accepted', related_sessions: [sessions[0].id] });
  });

  it('recording a session again with the same ADR updates it in place instead of adding a copy', async () => {
    home = await makeHome();
    const adr = { title: 'Use zod', decision: 'Validate with zod' };
    await runCli(home, ['record', '--session', 'A'], JSON.stringify({ ...input, adrs: [adr] }));
    const again = await runCli(home, ['record', '--session', 'A', '--json'], JSON.stringify({ ...input, adrs: [{ ...adr, rationale: 'typed' }] }));
    expect(again.code).toBe(0);
    const { decisions } = await readMemory('decisions.json', 'widget');
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ id: 'ADR-001', title: 'Use zod', rationale: 'typed', related_sessions: [JSON.parse(again.stdout).id] });
  });

  it('adds known issues without duplicates and keeps every other context key', async () => {
    home = await makeHome();
    await runCli(home, ['record', '--session', 'A'], JSON.stringify(input));
    const path = join(memoryDir('widget'), 'context.json');
    const context = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...context, team: { lead: 'kim' }, $schema: 'x.json' }));
    const issues = { known_issues: [{ issue: 'Flaky CI', severity: 'high' }, 'flaky ci'] };
    await runCli(home, ['record', '--session', 'B'], JSON.stringify({ ...input, ...issues }));
    await runCli(home, ['record', '--session', 'C'], JSON.stringify({ ...input, ...issues }));
    const after = JSON.parse(await readFile(path, 'utf8'));
    expect(after.team).toEqual({ lead: 'kim' });
    expect(after.$schema).toBe('x.json');
    expect(after.known_issues).toEqual([{ issue: 'Flaky CI', severity: 'high', added: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) }]);
  });

  it('keeps unknown keys at every level and a bare-array sessions.json stays an array', async () => {
    home = await makeHome();
    const dir = memoryDir('widget');
    await runCli(home, ['record', '--session', 'A'], JSON.stringify(input));
    const hand = [{ id: 'session-20200101-000000', summary: 'old', mine: { keep: true } }];
    await writeFile(join(dir, 'sessions.json'), JSON.stringify(hand));
    await runCli(home, ['record', '--session', 'B'], JSON.stringify(input));
    const sessions = JSON.parse(await readFile(join(dir, 'sessions.json'), 'utf8'));
    expect(Array.isArray(sessions)).toBe(true);
    expect(sessions[0]).toEqual(hand[0]);
    expect(sessions).toHaveLength(2);

    await writeFile(join(dir, 'sessions.json'), JSON.stringify({ $schema: 's.json', _version: 3, project: 'widget', sessions: hand }));
    await runCli(home, ['record', '--session', 'C'], JSON.stringify(input));
    const object = JSON.parse(await readFile(join(dir, 'sessions.json'), 'utf8'));
    expect(object).toMatchObject({ $schema: 's.json', _version: 3 });
    expect(object.sessions[0]).toEqual(hand[0]);
  });

  it('keeps a corrupt sessions.json aside byte for byte and goes on from the backup', async () => {
    home = await makeHome();
    const dir = memoryDir('widget');
    await runCli(home, ['record', '--session', 'A'], JSON.stringify(input));
    await runCli(home, ['record', '--session', 'B'], JSON.stringify(input));
    const garbage = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x0a, 0x00, 0x41]);
    await writeFile(join(dir, 'sessions.json'), garbage);
    const result = await runCli(home, ['record', '--session', 'C'], JSON.stringify(input));
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/sessions\.json was not valid; kept as .*sessions\.json\.corrupt-.*; went on from its backup \(\.bak\)$/m);
    const kept = (await readdir(dir)).filter((name) => name.startsWith('sessions.json.corrupt-'));
    expect(kept).toHaveLength(1);
    expect(await readFile(join(dir, kept[0]!))).toEqual(garbage);
    const { sessions } = JSON.parse(await readFile(join(dir, 'sessions.json'), 'utf8'));
    // The backup holds our last write: sessions A and B survive, C is added.
    expect(sessions).toHaveLength(3);

    // Damaged again, and this time without a backup: the message must not claim one was used.
    await writeFile(join(dir, 'sessions.json'), garbage);
    await rm(join(dir, 'sessions.json.bak'));
    const bare = await runCli(home, ['record', '--session', 'D'], JSON.stringify(input));
    expect(bare.stderr).toContain('; it had no backup, so it went on as if it were empty\n');
  });

  it('redacts secrets before they reach disk', async () => {
    home = await makeHome();
    const secret = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
    await runCli(home, ['record', '--session', 'A'], JSON.stringify({ ...input, summary: `Rotated ${secret} today`, follow_up: ['set password=hunter2x'] }));
    const text = await readFile(join(memoryDir('widget'), 'sessions.json'), 'utf8');
    expect(text).not.toContain(secret);
    expect(text).not.toContain('hunter2x');
    expect(text).toContain('[REDACTED]');
  });

  it('names each bad field, writes nothing and exits 1', async () => {
    home = await makeHome();
    const result = await runCli(home, ['record', '--session', 'A'], JSON.stringify({ decisions_made: [{ rationale: 'x' }], tags: 'parser', folow_up: [] }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('problems, nothing written');
    expect(result.stderr).toMatch(/summary: required/);
    expect(result.stderr).toContain('tags: expected a list of tags (strings), got "parser"');
    expect(result.stderr).toMatch(/decisions_made\[0\]/);
    expect(result.stderr).toMatch(/folow_up: unknown field; allowed: summary/);
    expect(result.stdout).toBe('');
    await expect(stat(home.paths.projectsDir)).rejects.toThrow();
  });

  it('an unknown key inside a decision or an ADR lists the keys allowed there', async () => {
    home = await makeHome();
    const result = await runCli(
      home,
      ['record', '--session', 'A'],
      JSON.stringify({ summary: 'ok', decisions_made: [{ decision: 'd', why: 'x' }], adrs: [{ title: 't', decision: 'd', context: 5, reason: 'r' }] }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('decisions_made[0].why: unknown field; allowed: decision, rationale\n');
    expect(result.stderr).toContain('adrs[0].reason: unknown field; allowed: title, decision, context, rationale,');
    expect(result.stderr).toContain('adrs[0].context: expected the context, as a string, got 5');
  });

  it('rejects input that is not JSON and unknown flags with a fix', async () => {
    home = await makeHome();
    expect((await runCli(home, ['record'], '{summary:')).stderr).toMatch(/not valid JSON/);
    const flag = await runCli(home, ['record', '--jsn'], JSON.stringify(input));
    expect(flag.code).toBe(1);
    expect(flag.stderr).toMatch(/--jsn/);
  });

  it('--json prints the written entry', async () => {
    home = await makeHome();
    const result = await runCli(home, ['record', '--session', 'A', '--json'], JSON.stringify(input));
    const entry = JSON.parse(result.stdout);
    expect(entry.summary).toBe(input.summary);
    expect(entry.follow_up).toEqual(['Add error recovery']);
  });

  it('writes files 0600 and folders 0700', async () => {
    home = await makeHome();
    await runCli(home, ['record', '--session', 'A'], JSON.stringify(input));
    expect((await stat(memoryDir('widget'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(memoryDir('widget'), 'sessions.json'))).mode & 0o777).toBe(0o600);
  });

  it.each([['../../x'], ['@a/b'], ['..'], ['x'.repeat(300)], ['a\u0000b']])('keeps --project %j inside memory/projects', async (name) => {
    home = await makeHome();
    const result = await runCli(home, ['record', '--session', 'A'], JSON.stringify({ ...input, project: name }));
    expect(result.code).toBe(0);
    const folders = await readdir(home.paths.projectsDir);
    expect(folders).toHaveLength(1);
    expect(folders[0]).toMatch(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/);
    expect(await readdir(join(home.dir, 'aiconfig', 'memory'))).toEqual(['projects']);
  });
});

describe('log-session record with options', () => {
  it('takes the fields as options, each rationale with the decision before it, without reading stdin', async () => {
    home = await makeHome();
    const args = ['record', '--session', 'F', '--summary', 'Did it', '--decision', 'Use zod', '--rationale', 'typed', '--decision', 'ESM only', '--follow-up', 'Add tests', '--tag', 'parser', '--next', 'Start with tests', '--focus', 'parser', '--issue', 'Flaky CI'];
    const result = await runCli(home, args);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('- Decisions: 2 recorded');
    const { sessions } = await readMemory('sessions.json', 'widget');
    expect(sessions[0]).toMatchObject({
      summary: 'Did it',
      decisions_made: [{ decision: 'Use zod', rationale: 'typed' }, { decision: 'ESM only' }],
      follow_up: ['Add tests'],
      tags: ['parser'],
      context_for_next_session: 'Start with tests',
    });
    expect((await readMemory('context.json', 'widget')).known_issues).toEqual([{ issue: 'Flaky CI', added: expect.any(String) }]);
  });

  it('refuses an empty list entry and a --rationale with no --decision before it, saying which option to fix', async () => {
    home = await makeHome();
    const empty = await runCli(home, ['record', '--session', 'A', '--summary', 'ok', '--tag', '', '--follow-up', ' ']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('tags[0]: tags: an entry must not be empty');
    expect(empty.stderr).toContain('follow_up[0]: follow-up tasks: an entry must not be empty');
    const orphan = await runCli(home, ['record', '--session', 'A', '--summary', 'ok', '--rationale', 'why', '--decision', 'what']);
    expect(orphan.code).toBe(1);
    expect(orphan.stderr).toContain('--rationale "why" follows no --decision');
    await expect(stat(home.paths.projectsDir)).rejects.toThrow();
  });

  it('never claims its own memory and state files when the home folder is a git repository', async () => {
    home = await makeHome();
    const env = { AICONFIG_HOME: join(home.project, 'aiconfig'), XDG_STATE_HOME: join(home.project, 'state') };
    await runCli(home, ['record', '--session', 'A', '--summary', 'first'], '', home.project, env);
    const again = await runCli(home, ['record', '--session', 'A', '--summary', 'second', '--json'], '', home.project, env);
    expect(JSON.parse(again.stdout).files_modified).toEqual([]);
  });
});

describe('record refuses input beyond its limits, naming the field and writing nothing', () => {
  const refused = async (args: string[], stdin?: string) => {
    const result = await runCli(home, ['record', '--session', 'S1', ...args], stdin);
    expect(result.code).toBe(1);
    await expect(readdir(home.paths.projectsDir)).rejects.toThrow(/ENOENT/);
    return result.stderr;
  };

  it('stdin over 1 MiB is refused without being read whole', async () => {
    home = await makeHome();
    const stderr = await refused([], JSON.stringify({ summary: 'x'.repeat(20 << 20) }));
    expect(stderr).toMatch(/stdin holds more than 1048576 bytes/);
  });

  it('a field, a list and a list item over their limits are each named with their size', async () => {
    home = await makeHome();
    const stderr = await refused([], JSON.stringify({
      summary: 's'.repeat(10_001),
      follow_up: Array.from({ length: 201 }, (_, n) => `task ${n}`),
      tags: ['t'.repeat(2_001)],
    }));
    expect(stderr).toContain('summary: 10001 characters; at most 10000 characters');
    expect(stderr).toContain('follow_up: 201 items; at most 200 items');
    expect(stderr).toContain('tags[0]: 2001 characters; at most 2000 characters');
  });

  it('input nested 100,000 levels deep is refused with the field that nests, not a stack overflow', async () => {
    home = await makeHome();
    const deep = `{"summary": "s", "follow_up": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const stderr = await refused([], deep);
    expect(stderr).toMatch(/follow_up(\[0\])+: nested more than 8 levels deep/);
    expect(stderr).not.toMatch(/call stack/);
  });

  it('two ADRs whose titles differ only in case are refused, so neither decision is silently lost', async () => {
    home = await makeHome();
    const stderr = await refused([], JSON.stringify({
      summary: 's',
      adrs: [{ title: 'Use Zod', decision: 'validate with zod' }, { title: 'use zod', decision: 'drop zod' }],
    }));
    expect(stderr).toContain('adrs[1].title: repeats the title of adrs[0].title');
  });
});

describe('log-session record closes what earlier sessions left open', () => {
  const day = expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/);
  const entryKeys = ['client', 'context_for_next_session', 'date', 'decisions_made', 'duration_estimate', 'files_modified', 'follow_up', 'id', 'summary', 'tags'];

  it('marks a follow-up done, resolves a known issue and supersedes an ADR, all given as options', async () => {
    home = await makeHome();
    const first = ['record', '--session', 'A', '--summary', 'Started', '--follow-up', 'Add error recovery', '--follow-up', 'Write docs', '--issue', 'Flaky CI', '--focus', 'parser', '--adr-title', 'Use yup', '--adr-decision', 'Validate with yup'];
    expect((await runCli(home, first)).code).toBe(0);
    await transcript({ cwd: home.project, sessionId: 'B' }).prompt('Finish recovery').saveUnder(home.paths);
    const second = await runCli(home, [
      'record', '--session', 'B', '--summary', 'Finished recovery',
      '--done', 'add  error RECOVERY', '--resolve', 'flaky ci',
      '--adr-title', 'Use zod', '--adr-decision', 'Validate with zod', '--adr-rationale', 'typed', '--adr-alternative', 'ajv', '--adr-alternative', 'yup', '--supersedes', 'ADR-001',
    ]);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('- Follow-ups: 0 tasks\n- Done: 1 follow-ups of earlier sessions\n- Resolved: 1 known issues\n- ADRs: ADR-002 (supersedes ADR-001)\n');

    const { sessions } = await readMemory('sessions.json', 'widget');
    for (const entry of sessions) expect(Object.keys(entry).sort()).toEqual(entryKeys);
    const { decisions } = await readMemory('decisions.json', 'widget');
    expect(decisions).toEqual([
      expect.objectContaining({ id: 'ADR-001', title: 'Use yup', status: 'superseded', superseded_by: 'ADR-002' }),
      { id: 'ADR-002', date: day, title: 'Use zod', decision: 'Validate with zod', rationale: 'typed', alternatives_considered: ['ajv', 'yup'], status: 'accepted', related_sessions: [sessions[1].id] },
    ]);
    const context = await readMemory('context.json', 'widget');
    expect(context).toMatchObject({
      current_focus: 'parser',
      focus_updated: day,
      known_issues: [],
      resolved_issues: [{ issue: 'Flaky CI', added: day, resolved: day, resolved_in: sessions[1].id }],
      done_follow_ups: [{ follow_up: 'Add error recovery', done: day, session: sessions[1].id }],
    });

    const brief = (await runCli(home, ['context'])).stdout;
    expect(brief).toContain('Open follow-ups (newest first):\n- "Write docs" (open since today)\n');
    expect(brief).not.toContain('Add error recovery');
    expect(brief).not.toContain('Flaky CI');
    expect(brief).toMatch(/- ADR-002 \(\d{4}-\d\d-\d\d\): "Use zod"/);
    expect(brief).not.toContain('Use yup');
    const show = (await runCli(home, ['show'])).stdout;
    expect(show).toContain(`  Follow-up: Add error recovery (done ${context.done_follow_ups[0].done}, ${sessions[1].id})\n  Follow-up: Write docs\n`);
  });

  it('a follow-up, an issue or an ADR id that memory lacks is one line each, exit 1, and nothing is written', async () => {
    home = await makeHome();
    await runCli(home, ['record', '--session', 'A'], JSON.stringify({ ...input, known_issues: ['Flaky CI'], adrs: [{ title: 'Use yup', decision: 'yup' }] }));
    const dir = memoryDir('widget');
    const before = await Promise.all(['sessions.json', 'decisions.json', 'context.json'].map((file) => readFile(join(dir, file), 'utf8')));
    const bad = { summary: 'Later', done: ['Ship it'], resolved_issues: ['Memory leak'], adrs: [{ title: 'Use zod', decision: 'zod', supersedes: 'ADR-009' }] };
    const result = await runCli(home, ['record', '--session', 'B'], JSON.stringify(bad));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      'log-session record: 3 problems, nothing written',
      '  adrs[0].supersedes: "ADR-009" is no ADR in decisions.json; its ids: ADR-001',
      '  resolved_issues[0]: "Memory leak" is no known issue (compared without case and spacing); known: "Flaky CI"',
      '  done[0]: "Ship it" is no follow-up of this project (compared without case and spacing); open: "Add error recovery"',
    ]);
    const after = await Promise.all(['sessions.json', 'decisions.json', 'context.json'].map((file) => readFile(join(dir, file), 'utf8')));
    expect(after).toEqual(before);
  });

  it('an ADR option with no --adr-title before it names the option to fix, and nothing is written', async () => {
    home = await makeHome();
    const orphan = await runCli(home, ['record', '--session', 'A', '--summary', 'ok', '--adr-decision', 'zod', '--adr-title', 'Use zod']);
    expect(orphan.code).toBe(1);
    expect(orphan.stderr).toContain('--adr-decision "zod" follows no --adr-title: give each --adr-title "..." first, then its --adr-decision "...", --adr-rationale "...", --adr-alternative "...", --supersedes "..."');
    const missing = await runCli(home, ['record', '--session', 'A', '--summary', 'ok', '--adr-title', 'Use zod']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('adrs[0].decision: required: the decision, as a string');
    await expect(stat(home.paths.projectsDir)).rejects.toThrow();
  });
});
