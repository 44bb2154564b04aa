import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { transcriptFolders, transcriptSessionKey } from '../lib/clients/codex/find.js';
import { readTranscript, transcriptCwd } from '../lib/clients/codex/read.js';
import { realRollouts } from './fixtures/codex/expected.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'codex');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'log-session-codex-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('real Codex rollouts', () => {
  it.each(realRollouts)('$file changes exactly the files of the patches that succeeded', async (rollout) => {
    const read = await readTranscript(join(fixtures, rollout.file));
    expect(read.changedFiles).toEqual(rollout.changed);
    expect(read.scan.facts).toMatchObject({
      changedFileCount: rollout.changed.length,
      firstPrompt: rollout.prompt,
      lastAssistantText: rollout.lastAnswer,
      cwd: '/home/user/project',
      gitBranch: 'main',
    });
    expect(read.shellRuns).toHaveLength(rollout.shellRuns);
    expect(read.scan.facts.pendingShell).toBeUndefined();
    expect(read.notes).toEqual([]);
  });

  it.each(realRollouts)('$file read turn by turn gives what one read gives', async (rollout) => {
    const text = await readFile(join(fixtures, rollout.file), 'utf8');
    const lines = text.split('\n');
    const path = join(dir, rollout.file);
    const whole = await readTranscript(join(fixtures, rollout.file));
    let scan;
    const shellRuns = [];
    const changed = new Set<string>();
    // Grows a line at a time, as Codex writes it, and is read after each one.
    for (let count = 1; count <= lines.length; count++) {
      await writeFile(path, lines.slice(0, count).join('\n') + (count < lines.length ? '\n' : ''));
      const read = await readTranscript(path, scan);
      scan = read.scan;
      shellRuns.push(...read.shellRuns);
      for (const file of read.changedFiles) changed.add(file);
    }
    expect(scan!.facts).toEqual(whole.scan.facts);
    expect([...changed].sort()).toEqual(whole.changedFiles);
    expect(shellRuns).toEqual(whole.shellRuns);
  });

  it('a rollout Codex compressed after it was read is read on from where it was, decompressed', async () => {
    const rollout = realRollouts[1]!;
    const lines = (await readFile(join(fixtures, rollout.file), 'utf8')).split('\n');
    const plain = join(dir, rollout.file);
    await writeFile(plain, lines.slice(0, 12).join('\n') + '\n');
    const before = await readTranscript(plain);
    await rm(plain);
    await copyFile(join(fixtures, 'compressed', `${rollout.file}.zst`), `${plain}.zst`);
    const after = await readTranscript(plain, before.scan);
    const whole = await readTranscript(join(fixtures, rollout.file));
    expect(after.scan.facts).toEqual(whole.scan.facts);
    expect([...before.changedFiles, ...after.changedFiles].sort()).toEqual(whole.changedFiles);
    expect(after.scan.offset).toBe(Buffer.byteLength(lines.join('\n')));
    expect(await transcriptCwd(plain)).toBe('/home/user/project');
  });
});

describe('finding rollouts', () => {
  it.each([
    ['rollout-2026-12-01T18-57-05-01a232f7-ba6d-7103-8520-f57b232ed5c9.jsonl', '01a232f7-ba6d-7103-8520-f57b232ed5c9'],
    ['rollout-2026-12-01T18-57-05-01a232f7-ba6d-7103-8520-f57b232ed5c9.jsonl.zst', '01a232f7-ba6d-7103-8520-f57b232ed5c9'],
    ['rollout-2026-12-01T18-57-05.jsonl', undefined],
    ['01a232f7-ba6d-7103-8520-f57b232ed5c9.jsonl', undefined],
  ])('%s is the session %s', (name, key) => {
    expect(transcriptSessionKey(name)).toBe(key);
  });

  it('catch-up looks in the day folders from the day before its window on', async () => {
    const sessions = join(dir, 'sessions');
    for (const day of ['2026/11/20', '2026/11/29', '2026/11/30', '2026/12/01']) await mkdir(join(sessions, day), { recursive: true });
    const folders = await transcriptFolders(join(sessions, '2026/12/01', 'rollout-x.jsonl'), new Date('2026-11-30T10:00:00Z'));
    expect(folders).toEqual(['2026/12/01', '2026/11/30', '2026/11/29'].map((day) => join(sessions, day)));
  });
});
