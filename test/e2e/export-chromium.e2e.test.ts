/**
 * The HTML journal in a real browser: `log-session export --format html` of a project made by the real `record`,
 * opened by headless Chromium from Debian's packages (/usr/bin/chromium; .ci/run installs it). The screenshot must
 * be a real picture of the page, the DOM must hold the memory's texts, and a summary holding `<script>` must be
 * text in it, not an element.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePng, pixelStats } from '../helpers/png.js';
import { makeHome, runCli, type TempHome } from '../helpers/temp-home.js';

const CHROMIUM = '/usr/bin/chromium';
const WIDTH = 1280;
const HEIGHT = 2000;
const hostileSummary = 'Escaped <script>alert(1)</script> and </style><b>not bold</b> as text';

let home: TempHome;
let page: string;

beforeAll(async () => {
  home = await makeHome();
  await record('S1', ['--summary', 'Set up the parser', '--follow-up', 'Write tests', '--follow-up', 'Add docs', '--decision', 'Use zod',
    '--rationale', 'typed', '--adr-title', 'Parse input with zod', '--adr-decision', 'zod schemas everywhere', '--next', 'Start from the parser',
    '--focus', 'Parsing', '--issue', 'Slow on files over 1 GB']);
  await record('S2', ['--summary', hostileSummary, '--done', 'Write tests', '--follow-up', 'Profile the big files',
    '--adr-title', 'Parse input with zod/mini', '--adr-decision', 'the smaller build', '--supersedes', 'ADR-001']);
  const exported = await runCli(home, ['export', '--format', 'html', '--out', 'journal.html']);
  expect(exported.code, exported.stderr).toBe(0);
  page = join(home.project, 'journal.html');
});
afterAll(async () => home?.remove());

async function record(session: string, args: string[]): Promise<void> {
  const run = await runCli(home, ['record', '--session', session, ...args]);
  expect(run.code, run.stderr).toBe(0);
}

/** Headless Chromium on `page` with a fresh profile and nothing that reaches the network; its stdout. */
async function chromium(...args: string[]): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), 'log-session-chromium-'));
  try {
    return await new Promise((done, fail) => {
      execFile(
        CHROMIUM,
        [
          '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...args, pathToFileURL(page).href,
        ],
        // A guard against a browser that never ends, far beyond the seconds it takes; no speed is asserted.
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 150_000, env: { ...home.env, HOME: home.dir } },
        (error, stdout, stderr) => (error ? fail(new Error(`chromium failed: ${error.message}\n${stderr}`)) : done(stdout)),
      );
    });
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** The text a reader sees in a serialized DOM: tags dropped, entities read. */
function textOf(dom: string): string {
  const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };
  const body = dom.replace(/^[\s\S]*?<body>/, '').replace(/<\/body>[\s\S]*$/, '');
  return body.replace(/<[^>]*>/g, '').replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, name: string) => entities[name]!).replace(/\s+/g, ' ');
}

describe('the HTML journal in headless Chromium', () => {
  it('renders as a picture of the page: full size, with text and colour on it', async () => {
    const shot = join(home.dir, 'journal.png');
    await chromium(`--window-size=${WIDTH},${HEIGHT}`, '--hide-scrollbars', `--screenshot=${shot}`);
    const png = decodePng(await readFile(shot));
    expect([png.width, png.height]).toEqual([WIDTH, HEIGHT]);
    const { colours, inked } = pixelStats(png);
    // A blank or error page has a handful of colours; anti-aliased text and the badges give hundreds.
    expect(colours).toBeGreaterThan(200);
    expect(inked).toBeGreaterThan(0.02);
  });

  it('holds the sessions, ADRs and follow-ups as text, and the summary with <script> as text, not an element', async () => {
    const dom = await chromium('--dump-dom');
    expect(dom).toMatch(/^<!DOCTYPE html>/);
    expect(dom).not.toMatch(/<script|<b>/i);
    expect(dom.match(/<\/style>/g)).toHaveLength(1);
    const text = textOf(dom);
    expect(text).toContain(hostileSummary);
    for (const shown of ['Set up the parser', 'Parse input with zod/mini', 'ADR-001: Parse input with zod superseded by ADR-002', 'Profile the big files', 'Slow on files over 1 GB', 'Start from the parser']) {
      expect(text).toContain(shown);
    }
    expect(text).toMatch(/Write tests done \d{4}-\d{2}-\d{2}, session-\d{8}-\d{6}/);
    expect(text.indexOf(hostileSummary)).toBeLessThan(text.indexOf('Set up the parser'));
  });

  it('prints to PDF pages', async () => {
    const pdf = join(home.dir, 'journal.pdf');
    await chromium('--no-pdf-header-footer', `--print-to-pdf=${pdf}`);
    const bytes = await readFile(pdf);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(bytes.toString('latin1').match(/\/Type \/Page\b/g)?.length).toBeGreaterThanOrEqual(1);
  });
});
