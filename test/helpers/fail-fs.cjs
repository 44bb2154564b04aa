// Preloaded (node --require) into a real log-session process: the FAIL_N-th fs call on a path matching FAIL_PATHS
// (or on a descriptor opened on one) fails with ENOSPC, as a full disk would fail it. Only the calls named in FAIL_OPS
// (comma-separated) are counted; calls on a descriptor only when open is.
// With FAIL_HANG=1 that call never returns instead, after writing STALLED to stderr, so a test can SIGKILL the
// process at exactly that point. FAIL_N=0 fails nothing and only counts; the count goes to FAIL_COUNT_FILE at exit.
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const { syncBuiltinESMExports } = require('node:module');

const failAt = Number(process.env.FAIL_N ?? 0);
const hang = Boolean(process.env.FAIL_HANG);
const watched = new RegExp(process.env.FAIL_PATHS);
const ops = process.env.FAIL_OPS.split(',');
const watchedFds = new Set();
let count = 0;

function injected(op, target) {
  const isWatched = typeof target === 'number' ? watchedFds.has(target) : watched.test(String(target));
  if (!isWatched || ++count !== failAt) return undefined;
  if (hang) {
    fs.writeSync(2, 'STALLED\n');
    setInterval(() => {}, 60_000);
  }
  return Object.assign(new Error(`ENOSPC: injected failure, ${op} '${target}'`), { code: 'ENOSPC', syscall: op });
}

for (const op of ops) {
  const callback = fs[op];
  if (typeof callback === 'function') {
    fs[op] = function (target, ...rest) {
      const error = injected(op, target);
      const done = rest.at(-1);
      if (error) return hang ? undefined : process.nextTick(done, error);
      if (op === 'open' && watched.test(String(target))) {
        rest[rest.length - 1] = (err, fd) => {
          if (!err) watchedFds.add(fd);
          done(err, fd);
        };
      }
      return callback.call(this, target, ...rest);
    };
  }
  const promised = fsp[op];
  if (typeof promised === 'function') {
    fsp[op] = async function (target, ...rest) {
      const error = injected(op, target);
      if (error && hang) await new Promise(() => {});
      if (error) throw error;
      return promised.call(this, target, ...rest);
    };
  }
}
syncBuiltinESMExports();
process.on('exit', () => {
  if (process.env.FAIL_COUNT_FILE) fs.writeFileSync(process.env.FAIL_COUNT_FILE, String(count));
});
