import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseCommandArgs, type Command, type CommandContext } from './command.js';
import { UsageError } from '../errors.js';
import { readRepo } from '../project/git.js';
import { toProjectFiles } from '../project/files.js';
import { DEFAULT_RECALL_LIMIT } from '../read/recall.js';
import { recallProject } from '../read/recall-cache.js';
import { countOption, projectOption, readMemoryFor } from './project-option.js';

const usage = `Usage: log-session recall QUERY [--project NAME] [--file PATH] [--last N] [--json]

Searches a project's sessions, archived ones included (summaries, decisions, follow-ups, next-session hints,
files) and ADRs, best match first (BM25, prefix and typo-tolerant). Questions work: "what did we decide about auth", "what did we do last session",
"which sessions touched src/auth".

Options:
  --project NAME  project name (default: derived from the repository, as record does)
  --file PATH     only sessions that changed a file whose path starts with or contains PATH (an absolute path,
                  or one relative to the current folder, is taken relative to the project's root)
  --last N        at most N hits (default ${DEFAULT_RECALL_LIMIT})
  --json          print only JSON:
                  {"project", "query", "hits": [{"kind": "session"|"adr", "id", "date", "score", "field", "text"}]}
`;

export const recallCommand: Command = {
  usage,
  async run(context) {
    const { values, positionals } = parseCommandArgs('recall', {
      args: context.args,
      options: { ...projectOption, file: { type: 'string' }, last: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
    });
    const query = positionals.join(' ').trim();
    if (!query && !values.file) throw new UsageError(`give a QUERY (or --file PATH), e.g. log-session recall "auth decision"`);
    const memory = readMemoryFor(context, values.project);
    const file = values.file === undefined ? undefined : projectRelative(context, values.file);
    const request = { query, file, limit: countOption(values.last, DEFAULT_RECALL_LIMIT) };
    const hits = await recallProject(context.paths, memory, request, (message) => context.stderr(`log-session: ${message}\n`));
    if (values.json) {
      context.stdout(`${JSON.stringify({ project: memory.project, query, hits }, null, 2)}\n`);
      return 0;
    }
    if (hits.length === 0) {
      context.stdout(`Nothing in ${memory.project}'s memory matches '${query || values.file}'.\n`);
      return 0;
    }
    context.stdout(
      hits.map((hit) => `${hit.id}${hit.date ? ` (${hit.date})` : ''} [${hit.field}]: ${hit.text}\n`).join(''),
    );
    return 0;
  },
};

/**
 * `--file` as sessions list files: relative to the root of the repository holding it (else the current folder's).
 * A path that leads outside (another project's, with --project) is matched as given.
 */
function projectRelative(context: CommandContext, path: string): string {
  const absolute = resolve(context.cwd, path);
  let folder = dirname(absolute);
  while (!existsSync(folder)) folder = dirname(folder);
  const projectRoot = readRepo(folder, context.paths.gitConfigFiles)?.root ?? readRepo(context.cwd, context.paths.gitConfigFiles)?.root ?? context.cwd;
  const [file] = toProjectFiles([absolute], { projectRoot, home: context.paths.home, bookkeeping: [] });
  if (file === undefined || (!isAbsolute(path) && (file.startsWith('/') || file.startsWith('~')))) return path;
  return file;
}
