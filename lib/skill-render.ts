import matter from 'gray-matter';

export const SKILL_NAME = 'log-session';

/** How a skill runs our CLI: `node <cli>`, the path quoted only when the shell needs it. */
export function cliCommand(cliPath: string): string {
  return `node ${/^[\w@%+=:,./${}-]+$/.test(cliPath) ? cliPath : `"${cliPath}"`}`;
}

/**
 * skill/SKILL.md with `{{command}}` replaced by the command that runs our CLI. Throws when the result's
 * frontmatter no longer parses or lost its name, description or the command in `allowed-tools`.
 */
export function renderSkill(template: string, command: string): string {
  const rendered = template.replaceAll('{{command}}', command);
  let data: Record<string, unknown>;
  try {
    // A fresh object as input: gray-matter caches parses of identical strings.
    data = matter({ content: rendered }).data;
  } catch (error) {
    throw new Error(`the rendered skill's frontmatter is not valid YAML (command: ${command})`, { cause: error });
  }
  if (data.name !== SKILL_NAME || typeof data.description !== 'string' || !data.description) {
    throw new Error(`the rendered skill's frontmatter lacks name '${SKILL_NAME}' or a description`);
  }
  if (typeof data['allowed-tools'] !== 'string' || !data['allowed-tools'].includes(command)) {
    throw new Error(`the rendered skill's allowed-tools do not name the command ${command}`);
  }
  return rendered;
}
