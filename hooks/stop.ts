import { dirname, join } from 'node:path';
import { handOff } from '../lib/hook/detach.js';

// Built as CommonJS (no import.meta): the worker bundle sits beside this file.
void handOff('Stop', join(dirname(process.argv[1]!), 'stop-worker.js'));
