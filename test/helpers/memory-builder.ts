import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TempHome } from './temp-home.js';

/**
 * Generated memory of realistic entries (~1.3 KB each, as sessions.json holds them): varied summaries, decisions
 * with rationales, follow-ups, tags, a next-session hint and a handful of files, dated one day apart or more.
 */

const areas = ['auth', 'parser', 'billing', 'search', 'cache', 'export', 'sync', 'settings', 'onboarding', 'metrics', 'queue', 'storage'];
const verbs = ['Refactored', 'Fixed', 'Added', 'Removed', 'Documented', 'Tested', 'Sped up', 'Split', 'Renamed', 'Hardened'];
const objects = ['the retry loop', 'token refresh', 'the config loader', 'error messages', 'the CLI flags', 'pagination', 'the migration', 'rate limiting', 'the webhook handler', 'logging'];

/** The n-th session entry, dated `date` (`YYYY-MM-DD`), with an id of that day. */
export function sessionEntry(n: number, date: string): Record<string, unknown> {
  const area = areas[n % areas.length]!;
  const other = areas[(n * 7 + 3) % areas.length]!;
  const verb = verbs[n % verbs.length]!;
  const object = objects[(n * 3) % objects.length]!;
  const time = `${String(n % 24).padStart(2, '0')}${String(n % 60).padStart(2, '0')}${String((n * 7) % 60).padStart(2, '0')}`;
  return {
    id: `session-${date.replaceAll('-', '')}-${time}`,
    date,
    client: 'claude-code',
    duration_estimate: `~${(n % 90) + 5}min`,
    summary: `${verb} ${object} in the ${area} module (round ${n}); the ${other} tests now cover the edge cases found while reviewing it, and the docs say how to run them locally.`,
    files_modified: [`src/${area}/index.ts`, `src/${area}/${object.replace(/\W+/g, '-')}.ts`, `src/${other}/shared.ts`, `test/${area}.test.ts`, 'README.md'],
    decisions_made: [
      { decision: `Keep ${object} inside the ${area} module rather than a shared helper`, rationale: `only ${area} uses it, and a shared helper would tie ${other} to its release cycle` },
      `Log ${area} failures at warn level, not error, while the rollout of round ${n} is watched`,
    ],
    follow_up: [`Measure ${object} under load after round ${n}`, `Ask the ${other} owners whether the new behaviour suits them`],
    tags: [area, other, 'maintenance'],
    context_for_next_session: `Start from src/${area}/index.ts: the ${object} change of round ${n} is merged but not released; the ${other} follow-up is still open, and the staging deploy of ${area} waits on the review of the ${other} owners before it goes out to everyone.`,
  };
}

/** `count` entries, oldest first, one a day back from `last` (dates go back across years for large counts). */
export function sessionEntries(count: number, last = new Date('2026-11-30T12:00:00Z'), first = 0): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, index) => {
    const day = new Date(last.getTime() - (count - 1 - index) * 86_400_000 / Math.max(1, Math.ceil(count / 1000)));
    return sessionEntry(first + index, day.toISOString().slice(0, 10));
  });
}

/** Writes sessions.json of `project` as aiconfig keeps it, with a key of another tool that must survive. */
export async function writeSessionsFile(home: TempHome, entries: unknown[], project = 'widget'): Promise<string> {
  const dir = join(home.paths.projectsDir, project);
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'sessions.json');
  await writeFile(path, `${JSON.stringify({ $schema: 'https://example.com/sessions.schema.json', project, sessions: entries }, null, 2)}\n`);
  return path;
}
