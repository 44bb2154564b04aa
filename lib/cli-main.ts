#!/usr/bin/env node
import { runCliInProcess } from './cli.js';

await runCliInProcess(process.argv.slice(2));
