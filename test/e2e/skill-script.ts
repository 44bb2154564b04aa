import type { ToolResult } from './fake-messages-api.js';

/**
 * How a scripted model logs a session through the log-session skill, as product and day e2e tests drive it against
 * the fake Messages API.
 */

export interface AuthoredFields {
  summary: string;
  decisions_made: { decision: string; rationale: string }[];
  follow_up: string[];
  context_for_next_session: string;
}

/** What a skill-driven session showed: the loaded skill, the record command the model ran, and its result. */
export interface SkillRun {
  skillResult?: ToolResult;
  recordCommand?: string;
  bashResult?: ToolResult;
}

/**
 * The model's turns for "log this session" through `skill`: 1: Write `file`; 2: Skill; 3: the record command from
 * the skill body, its "..." filled in as the model would; 4: capture its result. What it saw lands in `seen`.
 */
export function recordScript(skill: string, sessionId: string, file: string, authored: AuthoredFields, seen: SkillRun) {
  return [
    { tools: [{ name: 'Write', input: { file_path: file, content: 'export const hi = "hello";\n' } }] },
    { tools: [{ name: 'Skill', input: { skill } }] },
    (context: { toolResults: ToolResult[] }) => {
      seen.skillResult = context.toolResults[0];
      const body = [seen.skillResult?.text ?? '', ...(seen.skillResult?.followingText ?? [])].join('\n');
      const block = /```bash\n([\s\S]*?)\n```/.exec(body)?.[1];
      if (!block) throw new Error(`no bash block in the loaded skill:\n${body}`);
      const values: Record<string, string> = {
        summary: authored.summary,
        decision: authored.decisions_made[0]!.decision,
        rationale: authored.decisions_made[0]!.rationale,
        'follow-up': authored.follow_up[0]!,
        tag: 'greeting',
        next: authored.context_for_next_session,
      };
      const command = block
        .replaceAll('${CLAUDE_SESSION_ID}', sessionId)
        .replace(/--([a-z-]+) "\.\.\."/g, (whole, name: string) => (name in values ? `--${name} "${values[name]}"` : whole));
      seen.recordCommand = command;
      return { tools: [{ name: 'Bash', input: { command, description: 'Record this session' } }] };
    },
    (context: { toolResults: ToolResult[] }) => {
      seen.bashResult = context.toolResults[0];
      return { text: 'Logged.' };
    },
  ];
}
