import { runHook } from '../lib/hook/run.js';
import { captureSession } from '../lib/session/update.js';

await runHook('SessionEnd', captureSession);
