import { readFile, writeFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { parseJson, parseProblem } from '../json.js';
import { isValidFile } from '../memory/shape.js';
import { memoryFileKindOf, mergeMemoryFile } from '../memory/sync-merge.js';
import type { Command } from './command.js';

const usage = `Usage: log-session merge-driver BASE OURS THEIRS PATH

Git's merge driver for project memory (sync sets it up: merge=log-session in .gitattributes, and
git config merge.log-session.driver "<log-session> merge-driver %O %A %B %P"). Merges the three versions of
sessions.json, sessions-<YYYY>.json, decisions.json or context.json by identity, not by line, and writes the
result over OURS. Prints what it had to decide on stderr. When a version does not parse, it exits non-zero and
changes nothing: git's conflict stands, nothing is lost.
`;

export const mergeDriverCommand: Command = {
  usage,
  async run(context) {
    const [basePath, oursPath, theirsPath, path, ...extra] = context.args;
    if (!basePath || !oursPath || !theirsPath || !path || extra.length) throw new UsageError(`needs 4 arguments (%O %A %B %P), got ${context.args.length}. See 'log-session merge-driver --help'.`);
    const kind = memoryFileKindOf(path);
    if (!kind) throw new UsageError(`${path} is no memory file (sessions.json, sessions-<YYYY>.json, decisions.json, context.json); git's conflict stands`);
    const read = async (file: string, side: string, emptyIsNone: boolean): Promise<unknown> => {
      const text = await readFile(file, 'utf8');
      if (emptyIsNone && text.trim() === '') return undefined;
      const parsed = parseJson(text);
      if (!parsed.ok) throw new UsageError(`${path}: ${side} version does not parse (${parseProblem(parsed.error)}); git's conflict stands, fix it by hand`);
      if (!isValidFile[kind](parsed.value)) throw new UsageError(`${path}: ${side} version is not a ${kind} file; git's conflict stands, fix it by hand`);
      return parsed.value;
    };
    // Git gives an empty common version when both sides added the file.
    const [base, ours, theirs] = await Promise.all([read(basePath, 'the common', true), read(oursPath, 'our', false), read(theirsPath, 'their', false)]);
    const { value, notes } = mergeMemoryFile(kind, base, ours, theirs);
    await writeFile(oursPath, `${JSON.stringify(value, null, 2)}\n`);
    for (const note of notes) context.stderr(`log-session merge ${path}: ${note}\n`);
    return 0;
  },
};
