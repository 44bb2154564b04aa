import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { gemini } from '../lib/clients/gemini/index.js';
import { catchUpSessions } from '../lib/session/catch-up.js';
import type { SessionServices } from '../lib/session/update.js';
import { makeHome, repoRoot, type TempHome } from './helpers/temp-home.js';

let home: TempHome;
afterEach(async () => home?.remove());

it("a Gemini CLI session no hook reached is caught up from its recording beside the current one's, files and agent kept", async () => {
  home = await makeHome();
  const chats = join(home.dir, '.gemini', 'tmp', 'widget', 'chats');
  await mkdir(chats, { recursive: true });
  await writeFile(join(chats, '..', '.project_root'), home.project);
  // The real 0.61.0 recording, moved into this home's project.
  const fixture = await readFile(join(repoRoot, 'test', 'fixtures', 'gemini', 'session-2026-12-01T18-20-af809c90.jsonl'), 'utf8');
  await writeFile(join(chats, 'session-2026-12-01T18-20-af809c90.jsonl'), fixture.replaceAll('/home/dev/demo', home.project));
  const current = join(chats, 'session-2026-12-02T09-00-11111111.jsonl');
  await writeFile(current, `${JSON.stringify({ sessionId: '11111111-0000-0000-0000-000000000000', projectHash: 'x', startTime: new Date().toISOString() })}\n`);
  const services: SessionServices = { paths: home.paths, now: () => new Date(), warn: (message) => expect.fail(message) };

  const caughtUp = await catchUpSessions(gemini, 'widget', { sessionKey: '11111111-0000-0000-0000-000000000000', transcriptPath: current, cwd: home.project }, services);

  expect(caughtUp).toEqual(['af809c90-2017-4f5c-b48f-fa8948f696b1']);
  const { sessions } = JSON.parse(await readFile(join(home.paths.projectsDir, 'widget', 'sessions.json'), 'utf8')) as { sessions: Record<string, unknown>[] };
  expect(sessions).toHaveLength(1);
  expect(sessions[0]).toMatchObject({ client: 'other', tags: ['gemini'], files_modified: ['docs/relative.md', 'edit.txt', 'src/notes.txt'] });
  // Caught up once: nothing to do the next time.
  expect(await catchUpSessions(gemini, 'widget', { sessionKey: '11111111-0000-0000-0000-000000000000', transcriptPath: current, cwd: home.project }, services)).toEqual([]);
});
