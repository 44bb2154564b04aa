// Bundles every entry point so a hook starts from one file instead of resolving
// dozens of modules under node_modules.
import { build } from 'esbuild';
import { readdir, readFile, rm } from 'node:fs/promises';

// Each hooks/<name>.ts is a bundle; hooks/hooks.json (the one list of our hooks) says which run as CommonJS.
const manifest = JSON.parse(await readFile(new URL('../hooks/hooks.json', import.meta.url), 'utf8'));
const commonJs = new Set(
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
// Each ESM hook is one file: Node loads one module of 190 KB (what it may import later included, parsed only
// when used) for about 10-20% less CPU than the 68 KB it runs spread over 20 chunks (`farm-bench`, 20-30 pairs).
await build({
  ...esm,
  entryPoints: Object.fromEntries(hookNames.filter((name) => !commonJs.has(name)).map((name) => [name, `hooks/${name}.ts`])),
  outdir: 'dist/hooks',
});

// The Stop hook runs after every turn and only hands its input to the worker: one CommonJS file with no
// imports beyond Node's own, because Node starts CommonJS about 3 ms sooner than ESM (`npm run bench`).
for (const name of commonJs) {
  await build({
    entryPoints: [`hooks/${name}.ts`],
    outfile: `dist/hooks/${name}.cjs`,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
}
await import('./build-plugin.mjs');
