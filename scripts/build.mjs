// Bundles every entry point so a hook starts from one file instead of resolving
// dozens of modules under node_modules.
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

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
// Every hook is one CommonJS file holding what it runs on every call, and what it imports only when needed (a
// dynamic import(): the capture after a turn with something new, a transcript's reader, the redaction of a problem)
// is a CommonJS file of its own beside it, `lazy-<module>.js`, loaded then. CommonJS: Node starts it sooner than ESM,
// whose facades of Node's own modules (node:fs's loads its streams) cost SessionStart ~5% more CPU; lazy files: a
// turn with nothing new reads and compiles 31 KB instead of 180 KB, ~6% of its CPU (`farm-bench`, 25-30 pairs;
// ESM chunks cost more than one file). A lazy file bundles its own copy of the modules it shares with the hook:
// nothing of ours keeps state in a module, and no error crosses the two to be told by its class.
// The folder's package.json first: a `.js` hook must never be found in the package's ESM scope.
await mkdir(new URL('../dist/hooks/', import.meta.url), { recursive: true });
await writeFile(new URL('../dist/hooks/package.json', import.meta.url), '{ "type": "commonjs" }\n');
const root = fileURLToPath(new URL('..', import.meta.url));
/** Source path of each module a hook imports lazily, to the name of its file. */
const lazyFiles = new Map();
const lazyImports = {
  name: 'lazy-imports',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async ({ kind, path, resolveDir, importer }) => {
      if (kind !== 'dynamic-import' || path.startsWith('node:') || path === 'fs-native-extensions') return undefined;
      const resolved = await build.resolve(path, { kind: 'import-statement', resolveDir, importer });
      if (resolved.errors.length) return { errors: resolved.errors };
      const name = `lazy-${relative(root, resolved.path).replace(/^node_modules\//, '').replace(/\.[cm]?[jt]s$/, '').replace(/[^\w-]+/g, '-')}`;
      lazyFiles.set(resolved.path, name);
      return { path: `./${name}.js`, external: true };
    });
  },
};
const hookBuild = (entryPoint, outfile, plugins = [lazyImports]) =>
  build({
    entryPoints: [entryPoint],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['fs-native-extensions'],
    mainFields: ['module', 'main'],
    plugins,
    logLevel: 'warning',
  });
// Stop and SessionEnd only hand their input to a worker, after every turn: one file that loads nothing of ours
// beside it, so that it can still say, redacted, that the worker is missing.
for (const name of hookNames) {
  await hookBuild(`hooks/${name}.ts`, `dist/hooks/${name}.${dotCjs.has(name) ? 'cjs' : 'js'}`, dotCjs.has(name) ? [] : [lazyImports]);
}
// A lazy file's own lazy imports are found as it is built.
const built = new Set();
for (let pending; (pending = [...lazyFiles].filter(([source]) => !built.has(source))).length > 0; ) {
  for (const [source, name] of pending) {
    built.add(source);
    await hookBuild(source, `dist/hooks/${name}.js`);
  }
}
await import('./build-plugin.mjs');
