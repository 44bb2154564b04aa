import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { orNothing } from '../../disk.js';
import type { Paths } from '../../paths.js';

/** `<config>/projects/<encoded cwd>/<session id>.jsonl`; the folder name is lossy, so look, don't decode. */
export async function findTranscript(paths: Paths, sessionKey: string): Promise<string | undefined> {
  const projects = join(paths.claudeConfigDir, 'projects');
  const folders = orNothing(() => readdirSync(projects)) ?? [];
  for (const folder of folders) {
    const candidate = join(projects, folder, `${sessionKey}.jsonl`);
    if (orNothing(() => statSync(candidate))?.isFile()) return candidate;
  }
  return undefined;
}

/** `<session id>.jsonl`; `agent-*.jsonl` beside it is a sub-agent's (2.0.28-2.1.1), read with its session. */
export function transcriptSessionKey(path: string): Promise<string | undefined> {
  const fileName = basename(path);
  if (!fileName.endsWith('.jsonl') || fileName.startsWith('agent-')) return Promise.resolve(undefined);
  return Promise.resolve(fileName.slice(0, -'.jsonl'.length));
}
