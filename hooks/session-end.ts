import { captureSession } from '../lib/session/capture.js';
import { runHook } from '../lib/hook/run.js';

await runHook('SessionEnd', captureSession);
