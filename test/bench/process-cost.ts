import { spawnSync } from 'node:child_process';

/** CPU time (user + system) and peak RSS of one run; with `ratio`, its CPU over that of a `node -e 0` run next to it. */
export interface Cost {
  cpu: number;
  peakMb: number;
  ratio?: number;
}

/**
 * Runs a command and reports its own accounting as the kernel gives it to the parent that reaps it (wait4): user
 * and system seconds to the microsecond, the command's children it waited for included, and its peak RSS in KB, on
 * stderr's last line. python3 (on every machine of this kind, and not timed itself) instead of /usr/bin/time, which
 * prints centiseconds cut short: node -e 0 read 0.05-0.06 s for its 0.063 s, and a 1.50x ratio read about 1.6x.
 */
const REAP = [
  'import os, sys, time',
  'start = time.monotonic()',
  'pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)',
  '_, status, usage = os.wait4(pid, 0)',
  'wall = time.monotonic() - start',
  "sys.stderr.write(f'\\n{usage.ru_utime} {usage.ru_stime} {usage.ru_maxrss} {wall}\\n')",
  'sys.exit(os.waitstatus_to_exitcode(status))',
].join('\n');

/** CPU (user + system, of the process and every child it waited for) and peak RSS of `node ...args`. */
export function measure(args: string[], env: NodeJS.ProcessEnv, input: string, cwd: string): Cost {
  const { cpu, peakMb } = measureRun(args, env, input, cwd);
  return { cpu, peakMb };
}

/** `measure`, with the run's wall time (ms, from its start to its reaping) and what it printed. */
export function measureRun(args: string[], env: NodeJS.ProcessEnv, input: string, cwd: string): Cost & { wallMs: number; stdout: string } {
  const result = spawnSync('python3', ['-I', '-S', '-c', REAP, process.execPath, ...args], { env, input, cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  const [user, system, peakKb, wall] = result.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { cpu: user! + system!, peakMb: peakKb! / 1024, wallMs: wall! * 1000, stdout: result.stdout };
}

/**
 * `measure`, then `node -e 0` in the same folder at once: the pair's ratio holds still while the machine's speed
 * drifts, where medians of runs apart swung a ratio near 1.5x by a fifth.
 */
export function measurePaired(args: string[], env: NodeJS.ProcessEnv, input: string, cwd: string): Cost {
  const cost = measure(args, env, input, cwd);
  return { ...cost, ratio: cost.cpu / measure(['-e', '0'], {}, '', cwd).cpu };
}

/** The median CPU time of `costs` (and median ratio, where they have one), with the largest peak among them. */
export function median(costs: Cost[]): Cost {
  const middle = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const ratios = costs.flatMap((cost) => (cost.ratio === undefined ? [] : [cost.ratio]));
  return { cpu: middle(costs.map((cost) => cost.cpu)), peakMb: Math.max(...costs.map((cost) => cost.peakMb)), ...(ratios.length ? { ratio: middle(ratios) } : {}) };
}
