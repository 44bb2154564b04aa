import { readHandedInput } from '../lib/hook/detach.js';
import { runHook } from '../lib/hook/run.js';
import { endSession } from '../lib/session/turn.js';

void runHook('SessionEnd', endSession, readHandedInput);
