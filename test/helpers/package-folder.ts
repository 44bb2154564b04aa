import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SKILLS } from '../../lib/install/skills.js';
import { repoRoot } from './temp-home.js';

/** A stand-in package folder for the installers: our package.json, the real skill sources, empty built hook files. */
export async function makePackageFolder(dir: string): Promise<string> {
  await mkdir(join(dir, 'dist', 'hooks'), { recursive: true });
  await mkdir(join(dir, 'skill'), { recursive: true });
  await writeFile(join(dir, 'package.json'), '{"name":"log-session"}\n');
  for (const { source } of SKILLS) {
    await mkdir(dirname(join(dir, source)), { recursive: true });
    await writeFile(join(dir, source), await readFile(join(repoRoot, source)));
  }
  await writeFile(join(dir, 'dist', 'cli.js'), '');
  for (const name of ['session-start.js', 'stop.cjs', 'session-end.cjs']) await writeFile(join(dir, 'dist', 'hooks', name), '');
  return dir;
}
