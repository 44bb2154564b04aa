import type { ParseArgsConfig } from 'node:util';
import type { CommandContext } from '../command.js';
import { UsageError } from '../errors.js';
import { projectForFolder, readProjectMemory, type ProjectMemory } from '../memory-read.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** `--project NAME`, shared by the commands that read memory. */
export const projectOption = { project: { type: 'string' } } as const satisfies Options;

/** The memory of `--project`, or of the project the working folder belongs to. Reads only. */
export async function readMemoryFor(context: CommandContext, project: string | undefined): Promise<ProjectMemory> {
  return readProjectMemory(context.paths, await projectForFolder(context.cwd, project));
}

/** `--last N`: a positive whole number. */
export function countOption(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`--last expects a positive whole number, got '${value}'`);
  return count;
}
