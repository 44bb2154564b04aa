#!/usr/bin/env node
// Installs log-session into Claude Code: `npx tsx install.ts [--scope user|project] [--dry-run] [--json]`
// (or `node dist/install.js …` after `npm run build`); the same as `log-session install`.
import { runCliInProcess } from './lib/cli.js';

void runCliInProcess(['install', ...process.argv.slice(2)]);
