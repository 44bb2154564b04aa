/**
 * Node's own modules, loaded where they are first needed rather than at start: node:crypto for the rare session key
 * that is hashed, node:child_process (which loads node:net and its streams) only when git must run. Synchronous, so
 * callers stay so. The built files are CommonJS, whose `require` serves without loading node:module; from source
 * (the tests) process.getBuiltinModule does.
 */
export function requireBuiltin<T>(name: `node:${string}`): T {
  return (typeof require === 'function' ? require(name) : process.getBuiltinModule(name)) as T;
}
