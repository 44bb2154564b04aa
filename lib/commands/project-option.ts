import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import type { CommandContext } from './command.js';
import { orNothing } from '../disk.js';
import { UsageError } from '../errors.js';
import { readProjectMemory, type ProjectMemory } from '../memory/read.js';
import { projectForFolder } from '../project/name.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** `--project NAME`, shared by the commands that read memory. */
export const projectOption = { project: { type: 'string' } } as const satisfies Options;

/**
 * The memory of `--project`, or of the project the working folder belongs to: the live window of sessions, and
 * with `history` archived ones too (see readProjectMemory). Reads only. A `--project` with
 * no memory at all is more likely a typo than an empty project: it is an error that lists the known ones.
 */
export function readMemoryFor(
  context: CommandContext,
  project: string | undefined,
  options: Parameters<typeof readProjectMemory>[2] = {},
): ProjectMemory {
  const name = projectForFolder(context.cwd, context.paths.gitConfigFiles, project);
  if (project !== undefined && !existsSync(join(context.paths.projectsDir, name))) {
    const entries = orNothing(() => readdirSync(context.paths.projectsDir, { withFileTypes: true })) ?? [];
    const known = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
    throw new UsageError(`no memory for project '${name}'; ${known.length ? `known projects: ${known.join(', ')}` : 'no project has memory yet'}`);
  }
  const memory = readProjectMemory(context.paths, name, options);
  // A damaged file read from its backup (or as empty) is said, so an empty answer is never taken at face value.
  for (const problem of memory.problems ?? []) context.stderr(`log-session: ${problem}\n`);
  return memory;
}

/** `--last N`: a positive whole number. */
export function countOption(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`--last expects a positive whole number, got '${value}'`);
  return Number(value);
}
