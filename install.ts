#!/usr/bin/env node
// Installs log-session into Claude Code: `npx tsx install.ts [--scope user|project] [--dry-run] [--json]`
// (or `node dist/install.js …` after `npm run build`); the same as `log-session install`.
// Runs the command itself rather than through lib/cli.ts, so this entry point never shares its start-up code.
import { installCommand } from './lib/commands/install.js';
import { UsageError } from './lib/errors.js';
import { resolvePaths } from './lib/paths.js';
import { readStdin } from './lib/stdin.js';

const args = process.argv.slice(2);
try {
  if (args.includes('--help') || args.includes('-h')) process.stdout.write(installCommand.usage);
  else {
    process.exitCode = await installCommand.run({
      args,
      env: process.env,
      paths: resolvePaths(process.env),
      cwd: process.cwd(),
      now: () => new Date(),
      readStdin,
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
    });
  }
} catch (error) {
  process.stderr.write(`log-session install${error instanceof UsageError ? '' : ' failed'}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof UsageError ? 1 : 2;
}
