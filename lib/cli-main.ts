#!/usr/bin/env node
import { runCli } from './cli.js';
import { resolvePaths } from './paths.js';
import { readStdin } from './stdin.js';

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  paths: resolvePaths(process.env),
  cwd: process.cwd(),
  now: () => new Date(),
  readStdin,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
