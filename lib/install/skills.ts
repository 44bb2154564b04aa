import matter from 'gray-matter';

export const SKILL_NAME = 'log-session';

/**
 * The skills we ship, each `skills/<folder>/SKILL.md` in this package: the plugin's skill as it is, and the one
 * source the installer renders into Claude Code's `skills/<folder>/` with this machine's command. `name` is the
 * frontmatter's.
 */
export const SKILLS = [
  { source: 'skills/log-session/SKILL.md', folder: 'log-session', name: SKILL_NAME },
  // Its own folder name, so a user's own `recall` skill is never overwritten.
  { source: 'skills/log-session-recall/SKILL.md', folder: 'log-session-recall', name: 'recall' },
] as const;

/** How a skill runs our CLI: `node <cli>`, the path quoted only when the shell needs it. */
export function cliCommand(cliPath: string): string {
  return `node ${/^[\w@%+=:,./-]+$/.test(cliPath) ? cliPath : `"${cliPath}"`}`;
}

/** How the plugin's skills run our CLI: Claude Code puts the plugin's folder, which may hold spaces, in place of the variable. */
export const PLUGIN_CLI_COMMAND = 'node "${CLAUDE_PLUGIN_ROOT}/dist/cli.js"';

/**
 * A shipped skill with the plugin's command replaced by `command`, the one that runs our CLI here. Throws when
 * the result's frontmatter no longer parses or lost its name, description or the command in `allowed-tools`.
 */
export function renderSkill(source: string, command: string, name: string = SKILL_NAME): string {
  const rendered = source.replaceAll(PLUGIN_CLI_COMMAND, command);
  let data: Record<string, unknown>;
  try {
    // A fresh object as input: gray-matter caches parses of identical strings.
    data = matter({ content: rendered }).data;
  } catch (error) {
    throw new Error(`the rendered skill's frontmatter is not valid YAML (command: ${command})`, { cause: error });
  }
  if (data.name !== name || typeof data.description !== 'string' || !data.description) {
    throw new Error(`the rendered skill's frontmatter lacks name '${name}' or a description`);
  }
  if (typeof data['allowed-tools'] !== 'string' || !data['allowed-tools'].includes(command)) {
    throw new Error(`the rendered skill's allowed-tools do not name the command ${command}`);
  }
  return rendered;
}

/**
 * A shipped skill in the form Codex and Gemini CLI read (`<home>/skills/<folder>/SKILL.md`, frontmatter `name` and
 * `description`): they run no command lines inside a skill and know neither `allowed-tools` nor
 * `${CLAUDE_SESSION_ID}`, so a `!`command`` line becomes a command to run first, and the session is the calling
 * agent's, which our CLI finds itself (`$CODEX_THREAD_ID`; Gemini CLI's process). Throws when the result lost its
 * name or description, or still holds a Claude Code variable.
 */
export function renderShellSkill(source: string, command: string, name: string = SKILL_NAME): string {
  const rendered = source
    .replace(/^allowed-tools:.*\n/m, '')
    .replace(/^!`(.+)`$/gm, 'Run this first and read what it prints:\n\n```bash\n$1\n```')
    .replaceAll(' --session ${CLAUDE_SESSION_ID}', '')
    .replaceAll(PLUGIN_CLI_COMMAND, command);
  const data = matter({ content: rendered }).data;
  if (data.name !== name || typeof data.description !== 'string' || !data.description) {
    throw new Error(`the skill rendered for an agent's shell lacks name '${name}' or a description`);
  }
  if (rendered.includes('${CLAUDE')) throw new Error(`the skill rendered for an agent's shell still names a Claude Code variable: ${name}`);
  return rendered;
}
