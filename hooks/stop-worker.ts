import { readHandedInput } from '../lib/hook/detach.js';
import { runHook } from '../lib/hook/run.js';
import { captureSession } from '../lib/session/turn.js';

void runHook('Stop', captureSession, readHandedInput);
