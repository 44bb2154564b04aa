// Bundles every entry point so a hook starts from one file instead of resolving
// dozens of modules under node_modules.
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';

// Each hooks/<name>.ts is a bundle, built under the name hooks/hooks.json (the one list of our hooks) gives it:
// `.cjs` there stays `.cjs`; the rest (and the workers) are `.js`, which dist/hooks/package.json makes CommonJS too.
const manifest = JSON.parse(await readFile(new URL('../hooks/hooks.json', import.meta.url), 'utf8'));
const dotCjs = new Set(
  Object.values(manifest.hooks).flatMap((groups) => groups.flatMap((group) => group.hooks))
    .flatMap((hook) => /\/dist\/hooks\/([\w-]+)\.cjs"$/.exec(hook.command)?.[1] ?? []),
);
const hookNames = (await readdir(new URL('../hooks', import.meta.url))).filter((name) => name.endsWith('.ts')).map((name) => name.slice(0, -3));

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
const esm = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // A native addon: loaded from node_modules at run time, never bundled.
  external: ['fs-native-extensions'],
  // ESM builds first: jsonc-parser's `main` is a UMD file whose require() calls esbuild cannot follow.
  mainFields: ['module', 'main'],
  // CommonJS dependencies call require() and read __filename; give the ESM bundle both.
  banner: {
    js: [
      "import { createRequire as __createRequire } from 'node:module';",
      "import { fileURLToPath as __fileURLToPath } from 'node:url';",
      'const require = __createRequire(import.meta.url);',
      'const __filename = __fileURLToPath(import.meta.url);',
    ].join(' '),
  },
  logLevel: 'warning',
};
// The CLI's commands share chunks, each loaded when its command runs.
await build({ ...esm, entryPoints: { cli: 'lib/cli-main.ts', install: 'install.ts' }, outdir: 'dist', splitting: true, chunkNames: 'chunks/[name]-[hash]' });
// Every hook is one CommonJS file with only fs-native-extensions outside it: Node starts CommonJS sooner than ESM,
// whose facades of Node's own modules (node:fs's loads its streams) cost SessionStart ~5% more CPU (`farm-bench`,
// 20 pairs); one file of 190 KB (what it may import later included, parsed only when used) costs 10-20% less than
// the 68 KB it runs spread over 20 chunks.
// The folder's package.json first: a `.js` hook must never be found in the package's ESM scope.
await mkdir(new URL('../dist/hooks/', import.meta.url), { recursive: true });
await writeFile(new URL('../dist/hooks/package.json', import.meta.url), '{ "type": "commonjs" }\n');
for (const name of hookNames) {
  await build({
    entryPoints: [`hooks/${name}.ts`],
    outfile: `dist/hooks/${name}.${dotCjs.has(name) ? 'cjs' : 'js'}`,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['fs-native-extensions'],
    mainFields: ['module', 'main'],
    logLevel: 'warning',
  });
}
await import('./build-plugin.mjs');
