// Preloaded (node --require) into a real log-session process to make one of its fs calls go wrong, as a full disk or a
// crash would, or to hold the process at a chosen call. Counted are the calls named in FAIL_OPS (comma-separated), in
// any of fs's three forms (callback, promise and Sync: `rename` counts renameSync too), on a path matching FAIL_PATHS,
// on a descriptor opened on one (calls on a descriptor only when open is counted), or on a FileHandle opened on one
// (its write, sync, read, readFile, stat and truncate count as write, fsync, read, readFile, fstat and ftruncate).
//   FAIL_N=n        the n-th counted call fails with ENOSPC, as a full disk would fail it, or with FAIL_CODE. FAIL_N=0
//                   fails nothing and only counts; the count goes to FAIL_COUNT_FILE at exit.
//   FAIL_SHORT=1    that call, a write, stops part-way instead, as on a disk that just filled up: it writes half its
//                   bytes and says so, and every later write to that file fails with ENOSPC.
//   FAIL_HANG=1     that call never returns instead, after `STALLED n op path` on stderr, so a test can SIGKILL the
//                   process at exactly that point.
//   FAIL_PAUSE=n,m  the process waits before each of these calls, after `PAUSED n op path` on stderr, until the file
//                   FAIL_RESUME_FILE appears (it is removed then); then it makes the call. A test holds a writer there
//                   (holding the lock, say) while it kills another. A file, not a signal: a Sync call waits blocked,
//                   where no signal handler runs.
//   FAIL_TRACE=1    `DONE n op path` on stderr once each counted call has returned (or failed): an event to time a
//                   kill by, e.g. "the lock file is open, so the process now takes or waits for the lock".
// Each line is written whole with one write(2). A process left stalled or paused exits (86) after 10 minutes, so a
// test that failed before killing it leaves nothing running for long.
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const { syncBuiltinESMExports } = require('node:module');

const failAt = Number(process.env.FAIL_N ?? 0);
const hang = Boolean(process.env.FAIL_HANG);
const short = Boolean(process.env.FAIL_SHORT);
const failCode = process.env.FAIL_CODE || 'ENOSPC';
const pauseAt = new Set((process.env.FAIL_PAUSE ?? '').split(',').filter(Boolean).map(Number));
const trace = Boolean(process.env.FAIL_TRACE);
const watched = new RegExp(process.env.FAIL_PATHS);
const ops = process.env.FAIL_OPS.split(',');
/** Descriptors opened on a watched path, and that path (events name the file, not the number). */
const watchedFds = new Map();
/** FileHandles opened on a watched path, and that path. */
const watchedHandles = new WeakMap();
/** Descriptors and FileHandles whose file a short write filled up. */
const full = new Set();
let count = 0;

function say(line) {
  fs.writeSync(2, `${line}\n`);
}

/**
 * What waits on a stalled call, kept reachable: a stalled chain nothing refers to would be garbage collected, and
 * with it the FileHandles it holds, which closes them and lets go of a lock the stalled process should still hold.
 */
const stalled = [];

/** Keeps a process whose every task waits on us alive, but not forever. */
function keepAlive() {
  return setInterval(() => {
    if (process.uptime() > 600) process.exit(86);
  }, 1_000);
}

/** Blocks this thread for `ms`: a Sync call stalled or paused must not return. */
function block(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Takes the test's leave to go on from a pause: its resume file, removed so the next pause waits again. */
function resumed() {
  try {
    fs.rmSync(process.env.FAIL_RESUME_FILE);
    return true;
  } catch {
    return false;
  }
}

/** `n op path` of this call when it is counted, else undefined. */
function counted(op, target) {
  const path = typeof target === 'number' ? watchedFds.get(target) : (watchedHandles.get(target) ?? String(target));
  if (path === undefined || !watched.test(path)) return undefined;
  return { n: ++count, op, target, text: `${count} ${op} ${path}` };
}

function failure(text, code = failCode) {
  return Object.assign(new Error(`${code}: injected failure, ${text}`), { code });
}

/** What to do at a call: go on, fail (an error), stall (never return), or cut a write short. */
function injected(call) {
  if (call?.op === 'write' && full.has(call.target)) return failure(call.text, 'ENOSPC');
  if (call?.n !== failAt) return undefined;
  if (hang) {
    say(`STALLED ${call.text}`);
    keepAlive();
    return 'stall';
  }
  if (short && call.op === 'write') {
    full.add(call.target);
    return 'short';
  }
  return failure(call.text);
}

/** `write`'s arguments after the file, its length halved: (buffer, offset, length, position) or (string, ...). */
function halved(rest) {
  const [data, offset = 0, length] = rest;
  if (typeof data === 'string') return [data.slice(0, Math.floor(data.length / 2)), ...rest.slice(1)];
  const whole = length ?? data.byteLength - offset;
  return [data, offset, Math.floor(whole / 2), ...rest.slice(3)];
}

/** Resolves once the test lets a call we pause at go on (at once for the others). */
function pause(call) {
  if (!call || !pauseAt.has(call.n)) return undefined;
  say(`PAUSED ${call.text}`);
  return new Promise((done) => {
    const timer = setInterval(() => {
      if (process.uptime() > 600) process.exit(86);
      if (!resumed()) return;
      clearInterval(timer);
      done();
    }, 5);
  });
}

/** `pause` for a Sync call: it waits blocked. */
function pauseBlocked(call) {
  if (!call || !pauseAt.has(call.n)) return;
  say(`PAUSED ${call.text}`);
  while (!resumed()) {
    if (process.uptime() > 600) process.exit(86);
    block(5);
  }
}

function traced(call) {
  if (trace && call) say(`DONE ${call.text}`);
}

for (const op of ops) {
  const callback = fs[op];
  if (typeof callback === 'function') {
    fs[op] = function (target, ...rest) {
      const call = counted(op, target);
      const failure = injected(call);
      const done = rest.at(-1);
      if (failure === 'stall') return void stalled.push(done);
      if (failure instanceof Error) return process.nextTick(done, failure);
      if (failure === 'short') rest = [...halved(rest.slice(0, -1)), done];
      rest[rest.length - 1] = (error, result) => {
        if (op === 'open' && !error && watched.test(String(target))) watchedFds.set(result, String(target));
        traced(call);
        done(error, result);
      };
      const paused = pause(call);
      if (!paused) return callback.call(this, target, ...rest);
      paused.then(() => callback.call(this, target, ...rest));
      return undefined;
    };
  }
  const blocking = fs[`${op}Sync`];
  if (typeof blocking === 'function') {
    fs[`${op}Sync`] = function (target, ...rest) {
      const call = counted(op, target);
      const failure = injected(call);
      if (failure === 'stall') {
        block(600_000);
        process.exit(86);
      }
      if (failure instanceof Error) throw failure;
      pauseBlocked(call);
      try {
        return blocking.call(this, target, ...(failure === 'short' ? halved(rest) : rest));
      } finally {
        traced(call);
      }
    };
  }
  const promised = fsp[op];
  if (typeof promised === 'function' && op !== 'open') {
    fsp[op] = function (target, ...rest) {
      return promisedCall(op, target, (args) => promised.call(this, target, ...args), rest);
    };
  }
}

async function promisedCall(op, target, call, rest) {
  const counting = counted(op, target);
  const failure = injected(counting);
  if (failure === 'stall') await new Promise((resume) => stalled.push(resume));
  if (failure instanceof Error) throw failure;
  await pause(counting);
  try {
    return await call(failure === 'short' ? halved(rest) : rest);
  } finally {
    traced(counting);
  }
}

const handleOps = { write: 'write', sync: 'fsync', read: 'read', readFile: 'readFile', stat: 'fstat', truncate: 'ftruncate' };

/** A FileHandle opened on a watched path: its own calls are counted too. */
function watchHandle(handle, path) {
  watchedHandles.set(handle, path);
  for (const [method, op] of Object.entries(handleOps)) {
    if (!ops.includes(op)) continue;
    const original = handle[method];
    handle[method] = (...rest) => promisedCall(op, handle, (args) => original.apply(handle, args), rest);
  }
  return handle;
}

const openPromised = fsp.open;
fsp.open = async function (target, ...rest) {
  const open = (args) => openPromised.call(this, target, ...args);
  const handle = ops.includes('open') ? await promisedCall('open', target, open, rest) : await open(rest);
  return watched.test(String(target)) ? watchHandle(handle, String(target)) : handle;
};
// A closed descriptor's number is reused by the next open: it names a watched file no more.
// A descriptor opened on a watched path: calls on it count too, as a FileHandle's do, whether or not open is counted.
const openSync = fs.openSync;
fs.openSync = function (target, ...rest) {
  const fd = openSync.call(this, target, ...rest);
  if (watched.test(String(target))) watchedFds.set(fd, String(target));
  return fd;
};
for (const name of ['close', 'closeSync']) {
  const close = fs[name];
  fs[name] = function (fd, ...rest) {
    const result = close.call(this, fd, ...rest);
    watchedFds.delete(fd);
    full.delete(fd);
    return result;
  };
}
syncBuiltinESMExports();
process.on('exit', () => {
  if (process.env.FAIL_COUNT_FILE) fs.writeFileSync(process.env.FAIL_COUNT_FILE, String(count));
});
