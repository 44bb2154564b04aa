// Bundles every entry point so a hook or a command starts from one file instead of resolving dozens of modules
// under node_modules.
//
// Every entry point (the CLI, install.js, each hook) is one CommonJS file holding what it runs on every call, and
// what it imports only when needed (a dynamic import(): a command, the capture after a turn with something new, a
// transcript's reader, the redaction of a problem) is a CommonJS file of its own beside it, `lazy-<module>.js`,
// loaded with require() then. Measured with `farm-bench` (15-30 pairs, idle machine):
// - CommonJS, not ESM: ESM's loader and its facades of Node's own modules (node:fs's loads its streams) cost
//   SessionStart ~5% more CPU, and `recall` at 50,000 sessions 15% (ESM chunks shared by the commands);
// - lazy files: a turn with nothing new reads and compiles 31 KB instead of 180 KB, ~6% of its CPU;
// - require(), not import(): an import() of a CommonJS file starts Node's ESM loader and scans the file for its
//   exports (22 ms for the capture's).
// A lazy file bundles its own copy of the modules it shares with the file that loads it: nothing of ours keeps
// state in a module, and the one class told apart across them, lib/errors.ts's (a command's UsageError), is one
// shared file, `lazy-lib-errors.js`.
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Each hooks/<name>.ts is a bundle, built under the name hooks/hooks.json (the one list of our hooks) gives it:
// `.cjs` there stays `.cjs`; the rest (and the workers) are `.js`, which dist/package.json makes CommonJS too.
const manifest = JSON.parse(await readFile(join(root, 'hooks', 'hooks.json'), 'utf8'));
const dotCjs = new Set(
  Object.values(manifest.hooks).flatMap((groups) => groups.flatMap((group) => group.hooks))
    .flatMap((hook) => /\/dist\/hooks\/([\w-]+)\.cjs"$/.exec(hook.command)?.[1] ?? []),
);
const hookNames = (await readdir(join(root, 'hooks'))).filter((name) => name.endsWith('.ts')).map((name) => name.slice(0, -3));

await rm(join(root, 'dist'), { recursive: true, force: true });
await mkdir(join(root, 'dist', 'hooks'), { recursive: true });
// First: a `.js` file of the build must never be found in the package's ESM scope ("type": "module").
await writeFile(join(root, 'dist', 'package.json'), '{ "type": "commonjs" }\n');

/** The file a module loaded lazily (or shared) is built into, beside the files that load it. */
const lazyName = (source) => `lazy-${relative(root, source).replace(/^node_modules\//, '').replace(/\.[cm]?[jt]s$/, '').replace(/[^\w-]+/g, '-')}`;
const sharedModules = new Set([join(root, 'lib', 'errors.ts')]);

/** Builds each of `entries` ([entry point, file name]) into `folder`, and the lazy files they need there (theirs too). */
async function buildWithLazyFiles(entries, folder, { lazy = true } = {}) {
  const lazyFiles = new Map();
  /** The module being built: a shared one is bundled into its own file. */
  let building;
  const plugin = {
    name: 'lazy-files',
    setup(bundler) {
      bundler.onResolve({ filter: /.*/ }, async ({ kind, path, resolveDir, importer, pluginData }) => {
        if (pluginData?.resolving || path.startsWith('node:') || path === 'fs-native-extensions') return undefined;
        const resolved = await bundler.resolve(path, { kind, resolveDir, importer, pluginData: { resolving: true } });
        if (resolved.errors.length) return { errors: resolved.errors };
        const shared = sharedModules.has(resolved.path) && resolved.path !== building;
        if (kind !== 'dynamic-import' && !shared) return undefined;
        lazyFiles.set(resolved.path, lazyName(resolved.path));
        return { path: `./${lazyName(resolved.path)}.js`, external: true };
      });
    },
  };
  const bundle = (entryPoint, outfile) => {
    building = join(root, entryPoint);
    return build({
      entryPoints: [entryPoint],
      outfile,
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      // A native addon: loaded from node_modules at run time, never bundled.
      external: ['fs-native-extensions'],
      // jsonc-parser's `main` is a UMD file whose require() calls esbuild cannot follow: its ESM build instead.
      mainFields: ['module', 'main'],
      supported: { 'dynamic-import': false },
      // The install and sync commands find the package's folder from their own file.
      // Worked out when first asked (only install and sync ask): loading node:url cost every hook about 1 ms.
      define: { 'import.meta.url': 'importMeta.url' },
      banner: { js: "const importMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
      plugins: lazy ? [plugin] : [],
      logLevel: 'warning',
    });
  };
  for (const [entryPoint, name] of entries) await bundle(entryPoint, join(folder, name));
  const built = new Set();
  for (let pending; (pending = [...lazyFiles].filter(([source]) => !built.has(source))).length > 0; ) {
    for (const [source, name] of pending) {
      built.add(source);
      await bundle(relative(root, source), join(folder, `${name}.js`));
    }
  }
}

await buildWithLazyFiles([['lib/cli-main.ts', 'cli.js'], ['install.ts', 'install.js']], join(root, 'dist'));
await buildWithLazyFiles(
  hookNames.filter((name) => !dotCjs.has(name)).map((name) => [`hooks/${name}.ts`, `${name}.js`]),
  join(root, 'dist', 'hooks'),
);
// Stop and SessionEnd only hand their input to a worker, after every turn: one file that loads nothing of ours
// beside it, so that it can still say, redacted, that the worker is missing.
for (const name of dotCjs) await buildWithLazyFiles([[`hooks/${name}.ts`, `${name}.cjs`]], join(root, 'dist', 'hooks'), { lazy: false });
await import('./build-plugin.mjs');
