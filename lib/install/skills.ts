import matter from 'gray-matter';

export const SKILL_NAME = 'log-session';

/** The skills we ship: template in this package, folder under Claude Code's skills/, frontmatter name. */
export const SKILLS = [
  { template: 'skill/SKILL.md', folder: 'log-session', name: SKILL_NAME },
  // Its own folder name, so a user's own `recall` skill is never overwritten.
  { template: 'skill/recall/SKILL.md', folder: 'log-session-recall', name: 'recall' },
] as const;

/** How a skill runs our CLI: `node <cli>`, the path quoted only when the shell needs it. */
export function cliCommand(cliPath: string): string {
  return `node ${/^[\w@%+=:,./-]+$/.test(cliPath) ? cliPath : `"${cliPath}"`}`;
}

/** The plugin's skills: Claude Code puts the plugin's folder, which may hold spaces, in place of the variable. */
export const PLUGIN_CLI_COMMAND = 'node "${CLAUDE_PLUGIN_ROOT}/dist/cli.js"';

/**
 * skill/SKILL.md with `{{command}}` replaced by the command that runs our CLI. Throws when the result's
 * frontmatter no longer parses or lost its name, description or the command in `allowed-tools`.
 */
export function renderSkill(template: string, command: string, name: string = SKILL_NAME): string {
  const rendered = template.replaceAll('{{command}}', command);
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
