// Assembles plugin/, the Claude Code plugin as it ships: what runs and nothing else (the built files, the skills,
// the manifests, and the one runtime dependency with its own), so `claude plugin install` copies a few MB into its
// cache instead of the whole clone. .claude-plugin/marketplace.json lists it as "./plugin".
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const plugin = join(root, 'plugin');
const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));

await rm(plugin, { recursive: true, force: true });
for (const path of ['.claude-plugin/plugin.json', 'hooks/hooks.json', 'skills', 'dist', 'LICENSE']) {
  await cp(join(root, path), join(plugin, path), { recursive: true });
}
// `name` is how the CLI finds its own folder (dist/package.json makes the build CommonJS whatever `type` says).
const { name, version, description, license, type, engines } = manifest;
await writeFile(join(plugin, 'package.json'), `${JSON.stringify({ name, version, description, license, type, engines, private: true }, null, 2)}\n`);

// The runtime dependencies and theirs, each copied from where Node resolves it, into a flat node_modules.
const copied = new Set();
async function copyDependencies(packageJsonPath) {
  const { dependencies = {} } = JSON.parse(await readFile(packageJsonPath, 'utf8'));
  const require = createRequire(packageJsonPath);
  for (const dependency of Object.keys(dependencies)) {
    if (copied.has(dependency)) continue;
    copied.add(dependency);
    // Found as Node finds it (its `exports` may not list package.json, so not through require.resolve).
    const folder = require.resolve.paths(dependency).map((modules) => join(modules, dependency)).find((dir) => existsSync(join(dir, 'package.json')));
    if (!folder) throw new Error(`build-plugin: ${dependency} (needed by ${packageJsonPath}) is not installed: run npm ci`);
    await mkdir(join(plugin, 'node_modules', dirname(dependency)), { recursive: true });
    await cp(folder, join(plugin, 'node_modules', dependency), { recursive: true });
    await copyDependencies(join(folder, 'package.json'));
  }
}
await copyDependencies(join(root, 'package.json'));
