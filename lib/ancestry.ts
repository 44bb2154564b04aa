import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { orNothing } from './disk.js';

/**
 * Which processes a process descends from, as Linux's /proc tells it: a few small reads, no process spawned.
 * `procRoot` is `/proc` (Paths.procDir), or a folder laid out like it in tests. Where it cannot be read (no /proc:
 * macOS, a sandbox) the answers are empty, never an error.
 */

/** A process, told apart from a later one that reuses its pid by its start time (clock ticks after boot). */
export interface ProcessId {
  pid: number;
  start: number;
}

interface ProcessStat extends ProcessId {
  ppid: number;
}

/** Ancestors followed at most: a real chain is a dozen deep; a loop in a planted tree ends here. */
const MAX_DEPTH = 64;

/** `/proc/<pid>/stat`'s parent (field 4) and start time (field 22); `undefined` when the process is gone or unreadable. */
function readStat(procRoot: string, pid: number): ProcessStat | undefined {
  const text = orNothing(() => readFileSync(join(procRoot, String(pid), 'stat'), 'utf8'));
  if (text === undefined) return undefined;
  // `pid (comm) state ppid …`: the name may hold spaces and parentheses, so fields are counted after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  const start = Number(fields[19]);
  return Number.isInteger(ppid) && Number.isInteger(start) ? { pid, ppid, start } : undefined;
}

/**
 * The parent of `child`; `undefined` at the top, or when what now holds the parent's pid started after the child
 * (the parent died and its pid was reused between the two reads).
 */
function readParent(procRoot: string, child: ProcessStat): ProcessStat | undefined {
  if (child.ppid <= 0) return undefined;
  const parent = readStat(procRoot, child.ppid);
  return parent && parent.start <= child.start ? parent : undefined;
}

/** The ancestors of process `pid`, its parent first; `[]` when /proc cannot be read. */
export function readAncestors(procRoot: string, pid: number): ProcessId[] {
  const chain: ProcessId[] = [];
  let current = readStat(procRoot, pid);
  while (current && chain.length < MAX_DEPTH) {
    current = readParent(procRoot, current);
    if (current) chain.push({ pid: current.pid, start: current.start });
  }
  return chain;
}

/**
 * The process that runs the hook `pid` (whose file is `script`): its parent, or, when the parent is the shell the
 * agent ran the hook's command in (its command line names `script`), that shell's parent. `undefined` when /proc
 * cannot tell.
 */
export function readHookRunner(procRoot: string, pid: number, script: string): ProcessId | undefined {
  const self = readStat(procRoot, pid);
  const parent = self && readParent(procRoot, self);
  if (!parent) return undefined;
  const commandLine = orNothing(() => readFileSync(join(procRoot, String(parent.pid), 'cmdline'), 'utf8')) ?? '';
  const runner = script && commandLine.includes(script) ? readParent(procRoot, parent) : parent;
  return runner && { pid: runner.pid, start: runner.start };
}

export function sameProcess(a: ProcessId, b: ProcessId): boolean {
  return a.pid === b.pid && a.start === b.start;
}

/** Whether `agent` still runs: false once it exited (its pid free, or another's), `undefined` where /proc cannot tell. */
export function isRunning(procRoot: string, agent: ProcessId): boolean | undefined {
  const now = readStat(procRoot, agent.pid);
  if (now) return now.start === agent.start;
  return (readStat(procRoot, process.pid)) ? false : undefined;
}
