import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { orNothing } from '../../disk.js';
import type { TranscriptScan } from '../client.js';

/**
 * A session's files as a folder shows them, without reading a line: what a turn with nothing new needs, apart
 * from the reader (read.ts), which it then never loads.
 */

export const AGENT_FILE = /^agent-.*\.jsonl$/;

/**
 * Whether the transcript or a sub-agent file of its session grew (or shrank: rewritten) since `previous`, or a
 * sub-agent file appeared that it has not placed yet. Stats and folder listings only.
 */
export function hasNewLines(transcriptPath: string, previous: TranscriptScan): boolean {
  const sizeNow = (file: string) => orNothing(() => statSync(file))?.size;
  if (sizeNow(transcriptPath) !== previous.offset) return true;
  const dir = dirname(transcriptPath);
  const known = new Set([...Object.keys(previous.subagents), ...(previous.foreignAgentFiles ?? []).map((name) => join(dir, name))]);
  const siblings = readdirNames(dir).filter((name) => AGENT_FILE.test(name)).map((name) => join(dir, name));
  const nested = listAgentFiles(join(dir, basename(transcriptPath, '.jsonl'), 'subagents'));
  if ([...siblings, ...nested].some((file) => !known.has(file))) return true;
  for (const [file, offset] of Object.entries(previous.subagents)) if (sizeNow(file) !== offset) return true;
  return false;
}

export function listAgentFiles(dir: string): string[] {
  const entries = orNothing(() => readdirSync(dir, { withFileTypes: true })) ?? [];
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listAgentFiles(path));
    else if (entry.isFile() && AGENT_FILE.test(entry.name)) files.push(path);
  }
  return files;
}

export function readdirNames(dir: string): string[] {
  return orNothing(() => readdirSync(dir)) ?? [];
}
