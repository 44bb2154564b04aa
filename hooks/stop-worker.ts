import { captureSession } from '../lib/session/capture.js';
import { readHandedInput } from '../lib/hook/detach.js';
import { runHook } from '../lib/hook/run.js';

await runHook('Stop', captureSession, readHandedInput);
