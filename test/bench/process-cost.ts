import { spawnSync } from 'node:child_process';

/** CPU time (user + system) and peak RSS of one run. */
export interface Cost {
  cpu: number;
  peakMb: number;
}

/** CPU (user + system, of the process and every child it waited for) and peak RSS of `node ...args`. */
export function measure(args: string[], env: NodeJS.ProcessEnv, input: string, cwd: string): Cost {
  const result = spawnSync('/usr/bin/time', ['-f', '%U %S %M', process.execPath, ...args], { env, input, cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  const [user, system, peakKb] = result.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { cpu: user! + system!, peakMb: peakKb! / 1024 };
}

/** The median CPU time of `costs`, with the largest peak among them. */
export function median(costs: Cost[]): Cost {
  const sorted = [...costs].sort((a, b) => a.cpu - b.cpu);
  return { cpu: sorted[Math.floor(sorted.length / 2)]!.cpu, peakMb: Math.max(...costs.map((cost) => cost.peakMb)) };
}
