// Preloaded (node --require) into a real log-session process to make one of its fs calls go wrong, as a full disk or a
// crash would, or to hold the process at a chosen call. Counted are the calls named in FAIL_OPS (comma-separated) on a
// path matching FAIL_PATHS, or on a descriptor opened on one (calls on a descriptor only when open is counted).
//   FAIL_N=n        the n-th counted call fails with ENOSPC, as a full disk would fail it. FAIL_N=0 fails nothing and
//                   only counts; the count goes to FAIL_COUNT_FILE at exit.
//   FAIL_HANG=1     that call never returns instead, after `STALLED n op path` on stderr, so a test can SIGKILL the
//                   process at exactly that point.
//   FAIL_PAUSE=n,m  the process waits before each of these calls, after `PAUSED n op path` on stderr, until it gets
//                   SIGUSR2; then it makes the call. A test holds a writer there (holding the lock, say) while it kills
//                   another.
//   FAIL_TRACE=1    `DONE n op path` on stderr once each counted call has returned (or failed): an event to time a
//                   kill by, e.g. "the lock file is open, so the process now takes or waits for the lock".
// Each line is written whole with one write(2). A process left stalled or paused exits (86) after 10 minutes, so a
// test that failed before killing it leaves nothing running for long.
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const { syncBuiltinESMExports } = require('node:module');

const failAt = Number(process.env.FAIL_N ?? 0);
const hang = Boolean(process.env.FAIL_HANG);
const pauseAt = new Set((process.env.FAIL_PAUSE ?? '').split(',').filter(Boolean).map(Number));
const trace = Boolean(process.env.FAIL_TRACE);
const watched = new RegExp(process.env.FAIL_PATHS);
const ops = process.env.FAIL_OPS.split(',');
/** Descriptors opened on a watched path, and that path (events name the file, not the number). */
const watchedFds = new Map();
let count = 0;

function say(line) {
  fs.writeSync(2, `${line}\n`);
}

/** Keeps a process whose every task waits on us alive, but not forever. */
function keepAlive() {
  return setInterval(() => {
    if (process.uptime() > 600) process.exit(86);
  }, 1_000);
}

let resumeWaiting;
if (pauseAt.size) {
  process.on('SIGUSR2', () => {
    resumeWaiting?.();
    resumeWaiting = undefined;
  });
}

/** `n op path` of this call when it is counted, else undefined. */
function counted(op, target) {
  const path = typeof target === 'number' ? watchedFds.get(target) : String(target);
  if (path === undefined || !watched.test(path)) return undefined;
  return { n: ++count, text: `${count} ${op} ${path}` };
}

/** What to do at a counted call: go on, fail (an error), or stall (never return). */
function injected(call) {
  if (call?.n !== failAt) return undefined;
  if (hang) {
    say(`STALLED ${call.text}`);
    keepAlive();
    return 'stall';
  }
  return Object.assign(new Error(`ENOSPC: injected failure, ${call.text}`), { code: 'ENOSPC' });
}

/** Resolves once the test lets a call we pause at go on (at once for the others). */
function pause(call) {
  if (!call || !pauseAt.has(call.n)) return undefined;
  say(`PAUSED ${call.text}`);
  const timer = keepAlive();
  return new Promise((done) => {
    resumeWaiting = () => {
      clearInterval(timer);
      done();
    };
  });
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
      if (failure === 'stall') return undefined;
      if (failure) return process.nextTick(done, failure);
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
  const promised = fsp[op];
  if (typeof promised === 'function') {
    fsp[op] = async function (target, ...rest) {
      const call = counted(op, target);
      const failure = injected(call);
      if (failure === 'stall') await new Promise(() => {});
      if (failure) throw failure;
      await pause(call);
      try {
        return await promised.call(this, target, ...rest);
      } finally {
        traced(call);
      }
    };
  }
}
// A closed descriptor's number is reused by the next open: it names a watched file no more.
const close = fs.close;
fs.close = function (fd, ...rest) {
  const result = close.call(this, fd, ...rest);
  watchedFds.delete(fd);
  return result;
};
syncBuiltinESMExports();
process.on('exit', () => {
  if (process.env.FAIL_COUNT_FILE) fs.writeFileSync(process.env.FAIL_COUNT_FILE, String(count));
});
