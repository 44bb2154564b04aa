import { realpath } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { parseCommandArgs, type Command } from './command.js';
import { replaceFile } from '../disk.js';
import { errorCode, UsageError } from '../errors.js';
import { buildJournal, journalSize } from '../read/journal.js';
import { renderJournalHtml } from '../read/journal-html.js';
import { renderJournalMarkdown } from '../read/journal-md.js';
import type { Paths } from '../paths.js';
import { projectOption, readMemoryFor } from './project-option.js';

const usage = `Usage: log-session export [--project NAME] [--format md|html] [--out FILE]

Writes a project's memory as a journal to read or share: current focus, open follow-ups and known issues; the
sessions as a timeline, newest first (date, duration, summary, files, decisions, follow-ups marked done when a
later session completed them, the hint for the next session, the ADRs each recorded); then the ADRs with their
status (a superseded one names its successor). Memory text is escaped, so nothing in it can change the page.

Options:
  --project NAME  project name (default: derived from the repository, as record does)
  --format md|html
                  markdown (the default), or one self-contained HTML page (inline style, no script, nothing
                  fetched; prints well). With --out and no --format, a .html or .htm file gets HTML.
  --out FILE      write to FILE (replaced whole or not at all) instead of printing it; never a file in the
                  memory or state folders
`;

const renderers = { md: renderJournalMarkdown, html: renderJournalHtml };
type Format = keyof typeof renderers;

export const exportCommand: Command = {
  usage,
  async run(context) {
    const { values } = parseCommandArgs('export', {
      args: context.args,
      options: { ...projectOption, format: { type: 'string' }, out: { type: 'string' } },
    });
    if (values.out === '') throw new UsageError("--out expects a file path, got ''");
    const out = values.out === undefined ? undefined : resolve(context.cwd, values.out);
    const format = formatOption(values.format, out);
    if (out !== undefined) await refuseOwnFolders(out, context.paths);
    // A journal is the whole history: archived sessions (sessions-<YYYY>.json) too.
    const memory = readMemoryFor(context, values.project, { history: 'all' });
    const journal = buildJournal(memory, context.now());
    const text = renderers[format](journal);
    if (out === undefined) {
      context.stdout(text);
      return 0;
    }
    await writeJournal(out, text);
    context.stdout(`Wrote the journal of ${memory.project} (${journalSize(journal)}) to ${out}\n`);
    return 0;
  },
};

function formatOption(value: string | undefined, out: string | undefined): Format {
  if (value === undefined) return out !== undefined && /^\.html?$/i.test(extname(out)) ? 'html' : 'md';
  if (Object.hasOwn(renderers, value)) return value as Format;
  throw new UsageError(`--format expects md or html, got '${value}'`);
}

/** A journal never replaces memory or state: what is in those folders is log-session's own, written under its lock. */
async function refuseOwnFolders(out: string, paths: Paths): Promise<void> {
  const real = await realLocation(out);
  for (const folder of [paths.projectsDir, paths.stateDir]) {
    const realFolder = await realLocation(folder);
    if (real === realFolder || real.startsWith(realFolder + sep)) {
      throw new UsageError(`--out ${out} is inside ${folder}, where log-session keeps its own files; write the journal elsewhere`);
    }
  }
}

/** Where `path` really is, links followed as far as they exist. */
async function realLocation(path: string): Promise<string> {
  const parent = dirname(path);
  if (parent === path) return path;
  return realpath(path).catch(async () => join(await realLocation(parent), basename(path)));
}

/** Replaces `path` whole (temp file, fsync, rename); a path that cannot be written is said with what to do. */
async function writeJournal(path: string, text: string): Promise<void> {
  try {
    await replaceFile(path, text);
  } catch (error) {
    const problem = outProblems[errorCode(error) ?? ''];
    if (problem) throw new UsageError(`cannot write --out ${path}: ${problem(path)}`, { cause: error });
    throw error;
  }
}

const outProblems: Record<string, (path: string) => string> = {
  ENOENT: (path) => `the folder ${dirname(path)} does not exist; create it, or pick a file in a folder that does`,
  ENOTDIR: (path) => `${dirname(path)} is not a folder; pick a file in a folder`,
  EISDIR: () => 'it is a folder; name a file in it',
  EACCES: (path) => `permission denied; pick a file you may write, or make ${dirname(path)} writable`,
  EPERM: (path) => `permission denied; pick a file you may write, or make ${dirname(path)} writable`,
  EROFS: () => 'the file system is read-only; pick a file on a writable disk',
  ENOSPC: () => 'the disk is full; free some space, then run it again',
  EDQUOT: () => 'the disk quota is used up; free some space, then run it again',
};
