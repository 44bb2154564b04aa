import { cp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli } from './helpers/faults.js';
import { sessionEntries, writeSessionsFile } from './helpers/memory-builder.js';
import { makeHomesRemovedAfterEach, runCli, type TempHome } from './helpers/temp-home.js';

const newHome = makeHomesRemovedAfterEach();

type Stored = { sessions: Record<string, unknown>[] } & Record<string, unknown>;

const projectDir = (home: TempHome) => join(home.paths.projectsDir, 'widget');

/** sessions.json and every sessions-<YYYY>.json as they are on disk, parsed (a torn file throws). */
async function sessionFiles(home: TempHome): Promise<Record<string, Stored>> {
  const names = (await readdir(projectDir(home))).filter((name) => /^sessions(-\d{4})?\.json$/.test(name)).sort();
  const files: Record<string, Stored> = {};
  for (const name of names) files[name] = JSON.parse(await readFile(join(projectDir(home), name), 'utf8')) as Stored;
  return files;
}

function ids(entries: Record<string, unknown>[]): string[] {
  return entries.map((entry) => String(entry.id));
}

function archivesOf(files: Record<string, Stored>): [string, Stored][] {
  return Object.entries(files).filter(([name]) => name !== 'sessions.json');
}

const record = (home: TempHome, session: string, summary: string) => runCli(home, ['record', '--session', session], JSON.stringify({ summary }));

describe('sessions.json holds a bounded live window; older entries live in sessions-<YYYY>.json', () => {
  it('a large existing sessions.json is migrated once, on the next write: its oldest entries move whole and unchanged, by year', async () => {
    const home = await newHome();
    const entries = sessionEntries(1200).map((entry, n) => (n === 0 ? { ...entry, reviewer: 'a field of another tool' } : entry));
    await writeSessionsFile(home, entries);
    expect((await record(home, 'new', 'the newest one')).code).toBe(0);

    const files = await sessionFiles(home);
    const live = files['sessions.json']!;
    expect(live.sessions).toHaveLength(250);
    expect(live.$schema).toBe('https://example.com/sessions.schema.json');
    expect(live.sessions.at(-1)).toMatchObject({ summary: 'the newest one' });
    const archives = archivesOf(files);
    expect(archives.map(([name]) => name)).toEqual([...new Set(entries.map((entry) => `sessions-${String(entry.date).slice(0, 4)}.json`))]);
    for (const [name, archive] of archives) {
      expect(archive).toMatchObject({ project: 'widget' });
      for (const entry of archive.sessions) expect(name).toBe(`sessions-${String(entry.date).slice(0, 4)}.json`);
      // Every file of memory has its backup.
      expect(await readFile(join(projectDir(home), `${name}.bak`), 'utf8')).toBe(await readFile(join(projectDir(home), name), 'utf8'));
    }
    // Oldest year first, then the live file: every entry once, in its order, as it was (another tool's field too).
    expect([...archives.flatMap(([, archive]) => archive.sessions), ...live.sessions.slice(0, -1)]).toEqual(entries);

    // The next turns write the live file only: the archives are not rewritten.
    const before = await Promise.all(archives.map(([name]) => stat(join(projectDir(home), name))));
    expect((await record(home, 'another', 'one more')).code).toBe(0);
    const after = await Promise.all(archives.map(([name]) => stat(join(projectDir(home), name))));
    expect(after.map((info) => info.mtimeMs)).toEqual(before.map((info) => info.mtimeMs));
    expect((await sessionFiles(home))['sessions.json']!.sessions).toHaveLength(251);
  }, 120_000);

  it('show --all and show --last past the window list archived sessions; recall finds them, with its index outside memory', async () => {
    const home = await newHome();
    const entries = sessionEntries(600);
    entries[3] = { ...entries[3], summary: 'Wrote the zeppelin importer for the hangar service.' };
    await writeSessionsFile(home, entries);
    expect((await record(home, 'new', 'the newest one')).code).toBe(0);
    expect(ids((await sessionFiles(home))['sessions.json']!.sessions)).not.toContain(entries[3]!.id);

    const all = await runCli(home, ['show', '--all', '--json']);
    expect(all.code).toBe(0);
    const shown = (JSON.parse(all.stdout) as Stored).sessions;
    // Newest first: the new entry, then every generated one, each once and as stored.
    expect(ids(shown)).toEqual([...ids(entries), ids(shown)[0]!].reverse());
    expect(shown.at(-1)).toEqual(entries[0]);
    const last = JSON.parse((await runCli(home, ['show', '--last', '400', '--json'])).stdout) as Stored;
    expect(ids(last.sessions)).toEqual(ids(shown).slice(0, 400));
    const recent = JSON.parse((await runCli(home, ['show', '--json'])).stdout) as Stored;
    expect(ids(recent.sessions)).toEqual(ids(shown).slice(0, 5));

    const found = await runCli(home, ['recall', 'zeppelin importer', '--json']);
    expect(found.code).toBe(0);
    expect((JSON.parse(found.stdout) as { hits: { id: string; field: string }[] }).hits[0]).toMatchObject({ id: entries[3]!.id, field: 'summary' });
    // A typo and a prefix find it too.
    expect((await runCli(home, ['recall', 'zepelin'])).stdout).toContain(String(entries[3]!.id));
    expect((await runCli(home, ['recall', 'zeppel'])).stdout).toContain(String(entries[3]!.id));
    // The index is machine-local state, never in the memory folder users sync.
    expect((await readdir(projectDir(home))).filter((name) => !/^(sessions(-\d{4})?|context)\.json(\.bak)?$|^\.lock$/.test(name))).toEqual([]);
    const [cache] = await readdir(join(home.paths.stateDir, 'recall', 'widget'));
    const head = join(home.paths.stateDir, 'recall', 'widget', cache!, 'index.json');
    const built = (await stat(head)).mtimeMs;
    // A new turn changes the live file, not the archives: the index is not rebuilt, and sees the new entry.
    expect((await record(home, 'later', 'Tuned the zeppelin mooring')).code).toBe(0);
    const again = JSON.parse((await runCli(home, ['recall', 'zeppelin', '--json'])).stdout) as { hits: { id: string; text: string }[] };
    expect(again.hits.map((hit) => hit.text)).toEqual(['Tuned the zeppelin mooring', 'Wrote the zeppelin importer for the hangar service.']);
    expect((await stat(head)).mtimeMs).toBe(built);
    expect((await runCli(home, ['recall', '--file', String((entries[3]!.files_modified as string[])[1]), '--json'])).stdout).toContain(String(entries[3]!.id));
  }, 120_000);

  it('a late record of an archived session lands in its archive, by Claude Code session id or by entry id', async () => {
    const home = await newHome();
    expect((await record(home, 'K1', 'the first session')).code).toBe(0);
    const [first] = (await sessionFiles(home))['sessions.json']!.sessions;
    const later = sessionEntries(600);
    await writeSessionsFile(home, [first, ...later]);
    expect((await record(home, 'K2', 'the move')).code).toBe(0);
    const year = String(first!.date).slice(0, 4);
    const archiveName = `sessions-${year}.json`;
    expect(ids((await sessionFiles(home))[archiveName]!.sessions)).toContain(first!.id);

    const late = await record(home, 'K1', 'the first session, told late');
    expect(late.code).toBe(0);
    expect(late.stdout).toContain(`Session logged to: ~/aiconfig/memory/projects/widget/${archiveName}`);
    const byEntry = await record(home, String(later[10]!.id), 'an old session, told late');
    expect(byEntry.code).toBe(0);

    const files = await sessionFiles(home);
    const archived = Object.values(files).filter((file) => file !== files['sessions.json']).flatMap((file) => file.sessions);
    expect(archived.find((entry) => entry.id === first!.id)).toEqual({ ...first, summary: 'the first session, told late' });
    // Recorded as any entry is (its files kept, in order).
    const old = later[10]!;
    expect(archived.find((entry) => entry.id === old.id)).toEqual({ ...old, summary: 'an old session, told late', files_modified: [...(old.files_modified as string[])].sort() });
    // A follow-up listed only by an archived session can be marked done.
    const task = (later[5]!.follow_up as string[])[0]!;
    const done = await runCli(home, ['record', '--session', 'K3'], JSON.stringify({ summary: 'closed an old task', done: [task.toUpperCase()] }));
    expect(done.code, done.stderr).toBe(0);
    const context = JSON.parse(await readFile(join(projectDir(home), 'context.json'), 'utf8')) as { done_follow_ups: { follow_up: string }[] };
    expect(context.done_follow_ups.map((item) => item.follow_up)).toEqual([task]);

    // Nothing came back into the live file, and nothing is there twice.
    expect(files['sessions.json']!.sessions).toHaveLength(250);
    const every = [...archived, ...files['sessions.json']!.sessions];
    expect(new Set(ids(every)).size).toBe(every.length);
  }, 120_000);

  it('a writer SIGKILLed at any point of moving entries to the archives loses nothing and duplicates nothing', async () => {
    // 500 entries: the next write takes the live file past the window, so it moves 251 of them, over two years.
    const template = await newHome();
    const entries = sessionEntries(500);
    await writeSessionsFile(template, entries);
    const years = new Set(entries.slice(0, 251).map((entry) => String(entry.date).slice(0, 4)));
    expect(years.size, 'the move writes two archives').toBe(2);
    const pristine = join(template.dir, 'pristine');
    await cp(projectDir(template), pristine, { recursive: true });
    const ops = 'open,write,fsync,rename';

    // The fs calls of the writer's life, learnt from one that is not killed.
    const traced = startCli(template, ['record', '--session', 'traced'], JSON.stringify({ summary: 'traced' }), { ops });
    expect(await traced.exit).toBe(0);
    const life = traced.lines().filter((line) => line.startsWith('DONE ')).length;
    for (const year of years) expect(traced.lines().some((line) => line.includes(`rename`) && line.includes(`sessions-${year}.json.`))).toBe(true);

    const lanes = [await newHome(), await newHome()];
    const killedAt: string[] = [];
    await Promise.all(
      lanes.map(async (home, lane) => {
        for (let point = lane + 1; point <= life; point += lanes.length) {
          await rm(projectDir(home), { recursive: true, force: true });
          await cp(pristine, projectDir(home), { recursive: true });
          const victim = startCli(home, ['record', '--session', `V${point}`], JSON.stringify({ summary: `victim ${point}` }), { ops, stallAt: point });
          killedAt[point] = await victim.until(/^STALLED /);
          expect(await victim.kill()).toBeNull();
          const when = `killed at ${killedAt[point]}`;

          // What a reader sees: every entry once.
          const shown = await runCli(home, ['show', '--all', '--json']);
          expect(shown.code, when).toBe(0);
          const seen = ids((JSON.parse(shown.stdout) as Stored).sessions);
          expect(new Set(seen).size, `${when}: an entry twice`).toBe(seen.length);
          const known = new Set(ids(entries));
          expect(new Set(seen.filter((id) => known.has(id))), `${when}: an entry lost`).toEqual(known);

          // The next writer finishes the move: on disk too, every entry is in one file, once.
          expect((await record(home, `F${point}`, `finisher ${point}`)).code, when).toBe(0);
          const files = await sessionFiles(home);
          const stored = Object.values(files).flatMap((file) => ids(file.sessions));
          expect(new Set(stored).size, `${when}: an entry kept twice`).toBe(stored.length);
          for (const id of ids(entries)) expect(stored, when).toContain(id);
          expect(Object.values(files).flatMap((file) => file.sessions).map((entry) => entry.summary), when).toContain(`finisher ${point}`);
          expect(files['sessions.json']!.sessions.length, when).toBeLessThanOrEqual(251);
        }
      }),
    );
    // Every call was a kill point, archive renames included.
    expect(killedAt.filter(Boolean)).toHaveLength(life);
    for (const year of years) expect(killedAt.some((line) => line?.includes('rename') && line.includes(`sessions-${year}.json.`))).toBe(true);
    // A few hundred real processes: the limit is for a hang, not for speed.
  }, 900_000);
});
