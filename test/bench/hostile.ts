/**
 * The SessionEnd hook (the capture the Stop worker also runs) on transcripts that hold what no real session does,
 * each run as Claude Code runs it (a real process, input on stdin) under `/usr/bin/time -v` for peak RSS, wall and
 * CPU time, turn after turn. Each run is cut short by `timeout` and an address-space limit (`ulimit -v`), so a
 * build that does not stop (an older one) is measured too. Then what it left: exit code, the entry's file count,
 * the offset saved, the first line on stderr. Giant inputs are sparse where they can be (2 GB of zeros take no
 * disk); the million-file ones take 1.4 GB and 0.2 GB of disk while they run.
 *
 *   npm run build && npx tsx test/bench/hostile.ts                    # every case, this build
 *   HOOKS=/tmp/before/dist/hooks npx tsx test/bench/hostile.ts fifo   # one case, another build
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { readSessionState } from '../../lib/memory/state.js';
import { makeHome, repoRoot, type TempHome } from '../helpers/temp-home.js';
import { transcript } from '../helpers/transcript-builder.js';

const hooks = process.env.HOOKS ?? join(repoRoot, 'dist', 'hooks');
const TIMEOUT_S = Number(process.env.TIMEOUT_S ?? 120);
const ADDRESS_SPACE_KB = Number(process.env.ADDRESS_SPACE_KB ?? 8 * 1024 * 1024);
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

interface HostileCase {
  name: string;
  /** Makes the transcript; returns its path. */
  make(home: TempHome, sessionId: string): Promise<string>;
  /** The hook input leaves out `cwd`, as Claude Code before 1.0.54 did: the folder comes from the transcript. */
  withoutCwd?: boolean;
  /** Runs of the hook, as turn after turn would run it; 1 when left out. */
  runs?: number;
}

/** A session that started an hour ago: the git window sees it. */
const recent = (home: TempHome, sessionId: string, stepMs = 100) =>
  transcript({ cwd: home.project, sessionId, start: new Date(Date.now() - 3_600_000).toISOString(), stepMs });

const cases: HostileCase[] = [
  { name: 'dev-zero', withoutCwd: true, make: async () => '/dev/zero' },
  {
    name: 'fifo',
    withoutCwd: true,
    make: async (home, sessionId) => {
      const path = join(home.dir, `${sessionId}.jsonl`);
      spawnSync('mkfifo', [path]);
      return path;
    },
  },
  {
    name: 'sparse-2g',
    runs: 2,
    make: async (home, sessionId) => {
      const path = join(home.dir, `${sessionId}.jsonl`);
      const handle = await open(path, 'w');
      await handle.truncate(2 * GiB);
      await handle.close();
      await expectZeros(path);
      return path;
    },
  },
  {
    name: 'line-500mb',
    runs: 2,
    make: async (home, sessionId) => {
      const t = recent(home, sessionId).prompt('before the long line');
      const path = await t.saveUnder(home.paths);
      const out = createWriteStream(path, { flags: 'a' });
      const prefix = '{"type":"user","message":{"role":"user","content":"';
      const piece = 'x'.repeat(MiB);
      out.write(prefix);
      for (let i = 0; i < 500; i++) if (!out.write(piece)) await once(out, 'drain');
      out.end(`"},"timestamp":"${new Date().toISOString()}"}\n`);
      await once(out, 'finish');
      await t.write('src/after.ts').say('after the long line').append();
      return path;
    },
  },
  {
    name: 'files-1m',
    runs: 4,
    make: async (home, sessionId) => {
      const path = await recent(home, sessionId, 1).prompt('touch a million files').saveUnder(home.paths);
      const out = createWriteStream(path, { flags: 'a' });
      for (let batch = 0; batch < 100; batch++) {
        const t = recent(home, sessionId, 1).at(new Date(Date.now() - 3_000_000 + batch * 20_000).toISOString());
        for (let i = 0; i < 10_000; i++) {
          const n = batch * 10_000 + i;
          t.write(`src/d${n % 1000}/file-${n}.ts`, { id: `toolu_${n}` });
        }
        if (!out.write(t.toJsonl())) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      return path;
    },
  },
  {
    name: 'files-1m-packed',
    runs: 3,
    make: async (home, sessionId) => {
      // The same million Writes, 50,000 to a line: each line stays under the line cap, so all of them are read.
      const path = await recent(home, sessionId).prompt('touch a million files, fast').saveUnder(home.paths);
      const out = createWriteStream(path, { flags: 'a' });
      const timestamp = new Date(Date.now() - 1_800_000).toISOString();
      const envelope = `"cwd":${JSON.stringify(home.project)},"sessionId":"${sessionId}","timestamp":"${timestamp}"`;
      for (let line = 0; line < 20; line++) {
        const ids = Array.from({ length: 50_000 }, (_, i) => line * 50_000 + i);
        const uses = ids.map((n) => {
          const input = { file_path: join(home.project, `src/d${n % 1000}/file-${n}.ts`), content: '' };
          return { type: 'tool_use', id: `toolu_${n}`, name: 'Write', input };
        });
        const results = ids.map((n) => ({ type: 'tool_result', tool_use_id: `toolu_${n}`, content: 'ok' }));
        out.write(`{"type":"assistant",${envelope},"message":${JSON.stringify({ role: 'assistant', content: uses })}}\n`);
        if (!out.write(`{"type":"user",${envelope},"message":${JSON.stringify({ role: 'user', content: results })}}\n`)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      return path;
    },
  },
];

/** A sparse file reads as zeros: no newline anywhere. */
async function expectZeros(path: string): Promise<void> {
  const handle = await open(path, 'r');
  const chunk = Buffer.alloc(8 * MiB);
  try {
    for (let position = 0; ; position += chunk.length) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) return;
      if (chunk.subarray(0, bytesRead).some((byte) => byte !== 0)) throw new Error(`${path} is not all zeros at ${position}`);
    }
  } finally {
    await handle.close();
  }
}

interface Measured {
  exit: string;
  peakMb: number;
  wallS: number;
  cpuS: number;
  stderr: string;
}

function runMeasured(home: TempHome, input: object): Measured {
  const timing = join(home.dir, 'time.txt');
  const script = `ulimit -v ${ADDRESS_SPACE_KB}; exec /usr/bin/time -v -o "$0" timeout -k 5 ${TIMEOUT_S} "$1" "$2"`;
  const result = spawnSync('bash', ['-c', script, timing, process.execPath, join(hooks, 'session-end-worker.js')], {
    cwd: home.project,
    env: home.env,
    input: JSON.stringify(input),
    encoding: 'utf8',
  });
  return parseTime(readFileSync(timing, 'utf8'), result.status, result.stderr);
}

function parseTime(report: string, status: number | null, stderr: string): Measured {
  const field = (label: string) => report.match(new RegExp(`${label}: (.*)`))?.[1]?.trim() ?? '';
  const clock = field('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)').split(':').map(Number);
  const wallS = clock.reduce((total, part) => total * 60 + part, 0);
  const exit = status === 124 || status === 137 ? `timed out (${TIMEOUT_S} s)` : String(status);
  return {
    exit,
    peakMb: Number(field('Maximum resident set size \\(kbytes\\)')) / 1024,
    wallS,
    cpuS: Number(field('User time \\(seconds\\)')) + Number(field('System time \\(seconds\\)')),
    stderr: stderr.trim(),
  };
}

async function outcome(home: TempHome, sessionId: string): Promise<string> {
  const sessions = await readFile(join(home.paths.projectsDir, 'widget', 'sessions.json'), 'utf8').catch(() => undefined);
  const entry = sessions && (JSON.parse(sessions) as { sessions: { files_modified: string[] }[] }).sessions[0];
  const { scan } = readSessionState(home.paths, sessionId);
  const parts = [entry ? `entry: ${entry.files_modified.length} files` : 'no entry', `offset: ${scan?.offset ?? 'none'}`];
  return parts.join(', ');
}

const wanted = process.argv.slice(2);
console.log(`hooks: ${hooks}; each run limited to ${TIMEOUT_S} s and ${ADDRESS_SPACE_KB / 1024 / 1024} GiB of address space\n`);
for (const hostile of cases.filter((c) => wanted.length === 0 || wanted.includes(c.name))) {
  const home = await makeHome();
  try {
    const sessionId = `hostile-${hostile.name}`;
    const path = await hostile.make(home, sessionId);
    const size = (await stat(path)).size;
    const input = { session_id: sessionId, transcript_path: path, hook_event_name: 'SessionEnd', ...(hostile.withoutCwd ? {} : { cwd: home.project }) };
    for (let run = 1; run <= (hostile.runs ?? 1); run++) {
      const measured = runMeasured(home, input);
      console.log(
        `${hostile.name} (${(size / MiB).toFixed(0)} MiB) run ${run}: exit ${measured.exit}, peak RSS ${measured.peakMb.toFixed(0)} MB, ` +
          `wall ${measured.wallS.toFixed(2)} s, CPU ${measured.cpuS.toFixed(2)} s; ${await outcome(home, sessionId)}`,
      );
      if (measured.stderr) console.log(`  stderr: ${measured.stderr.split('\n')[0]}`);
    }
  } finally {
    await home.remove();
  }
}
