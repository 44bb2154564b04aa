import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readStoreFile, replaceStoreFile } from '../memory/store-file.js';
import type { Paths } from '../paths.js';
import { runGit } from './git.js';
import { readSyncJournal, type SyncJournal } from './journal.js';

/** The memory files git merges with our driver, by identity (sync-merge.ts), in `<memory>/.gitattributes`. */
const ATTRIBUTES = ['sessions.json', 'sessions-*.json', 'decisions.json', 'context.json'].map((pattern) => `${pattern} merge=log-session`);

/** Machine-local files beside the memory files (the lock, backups, damaged copies, temp files): never synced. */
const IGNORED = ['.lock', '*.json.*'];

/** Whether `.gitignore`'s lines above (IGNORED) keep a file out: what a dry run, before they are written, leaves out. */
export function isMachineLocal(path: string): boolean {
  const name = basename(path);
  return name === '.lock' || /\.json\../.test(name);
}

export const DRIVER_CONFIG = 'merge.log-session.driver';

/** What sync needs in the repository, and whether it is there. */
export interface DriverSetUp {
  missing: string[];
  apply(): Promise<void>;
}

/**
 * Checks the merge driver's set-up: the attributes and ignore lines in the memory folder (committed, so every
 * machine merges alike) and this clone's git config naming `driverCommand`. `apply` adds only what is missing.
 */
export async function checkDriverSetUp(repo: string, memoryDir: string, driverCommand: string): Promise<DriverSetUp> {
  const lineFiles = [
    { path: join(memoryDir, '.gitattributes'), lines: ATTRIBUTES, header: '# log-session: memory files merge by identity (log-session merge-driver)' },
    { path: join(memoryDir, '.gitignore'), lines: IGNORED, header: '# log-session: machine-local files beside the memory' },
  ];
  const edits = await Promise.all(
    lineFiles.map(async (file) => {
      const text = readStoreFile(file.path)?.toString('utf8') ?? '';
      const present = new Set(text.split('\n').map((line) => line.trim()));
      return { ...file, text, absent: file.lines.filter((line) => !present.has(line)) };
    }),
  );
  const configured = (await runGit(repo, ['config', '--get', DRIVER_CONFIG])).stdout;
  const driverMissing = configured !== `${driverCommand} merge-driver %O %A %B %P`;
  return {
    missing: [
      ...edits.filter((edit) => edit.absent.length).map((edit) => `${edit.path}: ${edit.absent.join(', ')}`),
      ...(driverMissing ? [`git config ${DRIVER_CONFIG}`] : []),
    ],
    async apply() {
      for (const edit of edits.filter((item) => item.absent.length)) {
        const lead = edit.text === '' ? `${edit.header}\n` : edit.text.endsWith('\n') ? '' : '\n';
        replaceStoreFile(edit.path, Buffer.from(`${edit.text}${lead}${edit.absent.join('\n')}\n`));
      }
      if (driverMissing) {
        await runGit(repo, ['config', 'merge.log-session.name', 'log-session: project memory, merged by identity']);
        const set = await runGit(repo, ['config', DRIVER_CONFIG, `${driverCommand} merge-driver %O %A %B %P`]);
        if (!set.ok) throw new Error(`setting git config ${DRIVER_CONFIG}: ${set.problem}`);
      }
    },
  };
}

/** The driver this clone's git config names, if any. */
async function configuredDriver(repo: string): Promise<string | undefined> {
  const result = await runGit(repo, ['config', '--get', DRIVER_CONFIG]);
  return result.ok && result.stdout ? result.stdout : undefined;
}

/** What `status` says of sync: the repository it would use, whether this clone runs our driver, the last run. */
export interface SyncStatus {
  repo?: string;
  driverSetUp: boolean;
  lastRun?: SyncJournal['lastRun'];
}

export async function readSyncStatus(paths: Paths): Promise<SyncStatus> {
  const journal = readSyncJournal(paths);
  const start = journal.repo ?? paths.aiconfigHome;
  const top = existsSync(start) ? await runGit(start, ['rev-parse', '--show-toplevel']) : undefined;
  const repo = top?.ok ? top.stdout : undefined;
  return { ...(repo ? { repo } : {}), driverSetUp: repo !== undefined && (await configuredDriver(repo)) !== undefined, ...(journal.lastRun ? { lastRun: journal.lastRun } : {}) };
}

/** One line for `status`. */
export function describeSyncStatus(status: SyncStatus, shown: (path: string) => string): string {
  if (!status.repo) return 'sync:   not set up (memory is in no git repository; see log-session sync --help)';
  const last = status.lastRun ? `last run ${status.lastRun.at}: ${status.lastRun.outcome} (${status.lastRun.message})` : 'never run';
  return `sync:   ${shown(status.repo)}, ${status.driverSetUp ? 'merge driver set up' : 'merge driver not set up (run log-session sync)'}, ${last}`;
}
