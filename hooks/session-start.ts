import { startSession } from '../lib/session/catch-up.js';
import { runHook } from '../lib/hook/run.js';

await runHook('SessionStart', startSession);
