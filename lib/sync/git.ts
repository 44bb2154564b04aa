import { execFile } from 'node:child_process';

export interface GitResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  /** Git's own words, one line: what a failure message quotes. */
  problem: string;
}

/** What git prints at most here: a log or diff of a memory repository. */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/** Runs git in `repo`; a failure is a value (most are expected: offline, no upstream, a rejected push). */
export function runGit(repo: string, args: string[]): Promise<GitResult> {
  return new Promise((done) => {
    const child = execFile(
      'git',
      args,
      { cwd: repo, encoding: 'utf8', maxBuffer: MAX_OUTPUT_BYTES, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } },
      (error, stdout, stderr) => {
        const lines = `${stderr}\n${stdout}`.split('\n').map((line) => line.trim());
        const problem = lines.find((line) => /^(fatal|error):/.test(line)) ?? lines.find(Boolean) ?? `git ${args[0]} failed`;
        done({ ok: !error, stdout: stdout.trim(), stderr, problem });
      },
    );
    child.stdin?.end();
  });
}
