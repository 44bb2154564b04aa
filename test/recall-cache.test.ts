import { readdir, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readProjectMemory } from '../lib/memory/read.js';
import { recall } from '../lib/read/recall.js';
import { sessionEntries, writeSessionsFile } from './helpers/memory-builder.js';
import { makeHomesRemovedAfterEach, runCli, type TempHome } from './helpers/temp-home.js';

const newHome = makeHomesRemovedAfterEach();

/** A project of 900 generated sessions (most of them archived by the first write), a few of them unusual, and ADRs. */
async function projectWithArchives(): Promise<TempHome> {
  const home = await newHome();
  const entries = sessionEntries(900);
  entries[10] = { ...entries[10], summary: 'Wrote the zeppelin importer; zeppelin zeppelin.', tags: ['zeppelin'] };
  entries[500] = { ...entries[500], summary: 'Renamed the caf\u00e9 module and the zeppelins.' };
  entries[700] = { id: entries[700]!.id, date: entries[700]!.date, summary: 'auth' };
  await writeSessionsFile(home, entries);
  const decisions = [
    { id: 'ADR-001', date: '2024-02-01', title: 'Token refresh in the auth module', decision: 'Refresh tokens before they expire', status: 'accepted' },
    { id: 'ADR-002', date: '2025-06-01', title: 'Pagination by cursor', decision: 'Cursors, not offsets', rationale: 'offsets skip rows under writes', status: 'accepted' },
  ];
  await writeFile(join(home.paths.projectsDir, 'widget', 'decisions.json'), JSON.stringify({ project: 'widget', decisions }));
  expect((await runCli(home, ['record', '--session', 'new'], JSON.stringify({ summary: 'Tuned the zeppelin mooring and the auth token refresh.' }))).code).toBe(0);
  return home;
}

const recallJson = async (home: TempHome, args: string[]) => {
  const result = await runCli(home, ['recall', ...args, '--json']);
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { hits: unknown[] }).hits;
};

describe("recall's index of the archives", () => {
  it('ranks exactly as minisearch ranks the whole history held in memory', async () => {
    const home = await projectWithArchives();
    const memory = readProjectMemory(home.paths, 'widget', { history: 'all' });
    expect(memory.sessions).toHaveLength(901);
    const requests = [
      ['auth token refresh'],
      ['what did we decide about auth'],
      ['what did we do last session', '--last', '3'],
      ['which sessions touched src/auth/index.ts'],
      ['zeppelin'],
      ['zepelin importer'],
      ['caf\u00e9 pagination cursor'],
      ['retry loop round 812', '--last', '25'],
      ['tokn refrsh onboarding'],
      ['auth auth metrics'],
      ['migration', '--file', 'src/billing'],
      ['nothing matches xylophone'],
    ];
    for (const args of requests) {
      const [query, option, value] = args;
      const request = { query: query!, ...(option === '--last' ? { limit: Number(value) } : {}), ...(option === '--file' ? { file: value } : {}) };
      const expected = recall(memory, request);
      if (!query!.includes('xylophone')) expect(expected.length, query).toBeGreaterThan(0);
      expect(await recallJson(home, args), query).toEqual(expected);
    }
  }, 120_000);

  it('is built again when a file of it is damaged or missing, and answers the same', async () => {
    const home = await projectWithArchives();
    const expected = await recallJson(home, ['auth token refresh']);
    const [fingerprint] = await readdir(join(home.paths.stateDir, 'recall', 'widget'));
    const folder = join(home.paths.stateDir, 'recall', 'widget', fingerprint!);
    const built = async () => (await stat(join(folder, 'index.json'))).mtimeMs;
    const data = join(folder, 'data.bin');
    const unparsable = async () => writeFile(data, 'x'.repeat((await stat(data)).size));
    for (const damage of [() => truncate(data, 100), unparsable, () => unlink(join(folder, 'index.json'))]) {
      const before = await built();
      await damage();
      expect(await recallJson(home, ['auth token refresh'])).toEqual(expected);
      expect(await built()).not.toBe(before);
    }
  }, 120_000);
});
