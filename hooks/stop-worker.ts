import { captureSession } from '../lib/capture.js';
import { runHook } from '../lib/hook-run.js';

await runHook('Stop', captureSession);
