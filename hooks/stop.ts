import { handOff } from '../lib/hook-detach.js';

await handOff(new URL('./stop-worker.js', import.meta.url).pathname);
