import manifest from '../../hooks/hooks.json' with { type: 'json' };

/**
 * Our hooks, from the one place that lists them: hooks/hooks.json, the plugin's own manifest. The installer
 * registers the same events, files and timeouts in settings.json, and the build makes one bundle per hook file.
 */
export type HookEvent = keyof typeof manifest.hooks;

export interface HookSpec {
  event: HookEvent;
  /** The built file under `dist/hooks/` that Claude Code runs, e.g. `stop.cjs`. */
  file: string;
  /** Seconds: bounds on the hook itself (Stop and SessionEnd only hand their work to a detached worker). */
  timeout: number;
}

const BUILT_FILE = /\/dist\/hooks\/([\w.-]+)"$/;

export const HOOKS: HookSpec[] = Object.entries(manifest.hooks).map(([event, groups]) => {
  const hook = groups[0]!.hooks[0]!;
  const file = BUILT_FILE.exec(hook.command)?.[1];
  if (!file) throw new Error(`hooks/hooks.json: ${event} runs no dist/hooks/ file`);
  return { event: event as HookEvent, file, timeout: hook.timeout };
});

/** A hook file's name without its extension (`stop`), as `dist/hooks/stop.cjs` or an earlier build's `stop.js` bears it. */
export function hookScript(file: string): string {
  return file.replace(/\.c?js$/, '');
}
