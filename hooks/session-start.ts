import { startSession } from '../lib/catch-up.js';
import { runHook } from '../lib/hook-run.js';

await runHook('SessionStart', startSession);
