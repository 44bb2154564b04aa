import { execa } from 'execa';

export interface GitResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  /** Git's own words, one line: what a failure message quotes. */
  problem: string;
}

/** Runs git in `repo`; a failure is a value (most are expected: offline, no upstream, a rejected push). */
export async function runGit(repo: string, args: string[]): Promise<GitResult> {
  const result = await execa('git', args, { cwd: repo, reject: false, env: { GIT_TERMINAL_PROMPT: '0' }, stdin: 'ignore' });
  const lines = `${result.stderr}\n${result.stdout}`.split('\n').map((line) => line.trim());
  const problem = lines.find((line) => /^(fatal|error):/.test(line)) ?? lines.find(Boolean) ?? `git ${args[0]} failed`;
  return { ok: result.exitCode === 0, stdout: result.stdout.trim(), stderr: result.stderr, problem };
}
