import { runHook } from '../lib/hook/run.js';
import { startSession } from '../lib/session/start.js';

void runHook('SessionStart', startSession);
