import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { displayPath } from '../paths.js';
import { describeOutcome, syncMemory, SyncError, type SyncReport } from '../sync/sync.js';
import { parseCommandArgs, type Command } from './command.js';
import { findPackageRoot } from './install.js';

const usage = `Usage: log-session sync [--repo DIR] [--dry-run] [--json]

Syncs project memory between machines through its git repository: sets up the merge driver where it is
missing (merge=log-session in <memory>/.gitattributes, machine-local files in <memory>/.gitignore, and
git config merge.log-session.driver), commits the memory's changes, fetches, merges (memory files by identity:
see 'log-session merge-driver --help'), and pushes. The repository is the git work tree $AICONFIG_HOME is in
(default ~/aiconfig), or the one named once with --repo. A sync that is offline or refused changes nothing
beyond a local commit; one that was killed is completed by the next.

Options:
  --repo DIR  the repository holding the memory folder; remembered on this machine
  --dry-run   say what would be set up and committed; change nothing, no network
  --json      print JSON
`;

export const syncCommand: Command = {
  usage,
  async run(context) {
    const { values } = parseCommandArgs('sync', { args: context.args, options: { repo: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } } });
    // This node by its full path: git runs the driver from shells and GUIs whose PATH may lack it.
    const driverCommand = `${shellWord(process.execPath)} ${shellWord(join(findPackageRoot(dirname(fileURLToPath(import.meta.url))), 'dist', 'cli.js'))}`;
    const options = { dryRun: values['dry-run'] ?? false, driverCommand, now: context.now, ...(values.repo ? { repo: values.repo } : {}) };
    let report: SyncReport;
    try {
      report = await syncMemory(context.paths, options);
    } catch (error) {
      if (!(error instanceof SyncError)) throw error;
      context.stderr(`log-session sync: ${error.message}\n`);
      return 2;
    }
    if (values.json) {
      context.stdout(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const shown = (path: string) => displayPath(path, context.paths.home);
    const lines = options.dryRun
      ? [
          `Would sync ${shown(report.repo)}.`,
          report.setUp.length ? `Would set up: ${report.setUp.map(shown).join('; ')}` : 'The merge driver is set up.',
          report.changes.length ? `Would commit: ${report.changes.join(', ')}` : 'No memory changes to commit.',
        ]
      : [
          `Synced ${shown(report.repo)}: ${describeOutcome(report)}.`,
          ...report.recovered.map((line) => `Finished what a killed sync left: ${line}.`),
          ...(report.setUp.length ? [`Set up: ${report.setUp.map(shown).join('; ')}`] : []),
          ...report.notes.map((note) => `Merge: ${note}`),
        ];
    context.stdout(`${lines.join('\n')}\n`);
    return 0;
  },
};

/** A path as one word for the shell git runs the driver in. */
function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}
