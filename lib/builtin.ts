import { createRequire } from 'node:module';

/**
 * Node's own modules, loaded where they are first needed rather than at start: node:crypto for the rare session key
 * that is hashed, node:child_process (which loads node:net and its streams) only when git must run. Synchronous, so
 * callers stay so. Any base path serves a builtin.
 */
export const requireBuiltin = createRequire(process.execPath) as <T>(name: `node:${string}`) => T;
