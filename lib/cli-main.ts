#!/usr/bin/env node
import { runCliInProcess } from './cli.js';

void runCliInProcess(process.argv.slice(2));
