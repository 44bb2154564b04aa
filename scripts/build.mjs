// Bundles every entry point so a hook starts from one file instead of resolving
// dozens of modules under node_modules (the Stop hook runs after every turn).
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: {
    cli: 'lib/cli-main.ts',
    install: 'install.ts',
    'hooks/session-start': 'hooks/session-start.ts',
    'hooks/stop': 'hooks/stop.ts',
    'hooks/stop-worker': 'hooks/stop-worker.ts',
    'hooks/session-end': 'hooks/session-end.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // A native addon: loaded from node_modules at run time, never bundled.
  external: ['fs-native-extensions'],
  // CommonJS dependencies call require() and read __filename; give the ESM bundle both.
  banner: {
    js: [
      "import { createRequire as __createRequire } from 'node:module';",
      "import { fileURLToPath as __fileURLToPath } from 'node:url';",
      'const require = __createRequire(import.meta.url);',
      'const __filename = __fileURLToPath(import.meta.url);',
    ].join(' '),
  },
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
