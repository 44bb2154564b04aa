import { parseCommandArgs, type Command } from './command.js';
import { callingSession } from './session-option.js';
import { durationEstimate } from '../memory/merge.js';
import { currentSessionFacts } from '../session/update.js';

const usage = `Usage: log-session facts [--session ID] [--project NAME] [--json]

Prints what log-session knows about a session without writing anything: project, branch, files changed
(transcript and git), duration. The log-session skill shows this to the model.

Options:
  --session ID    the agent's session id (default: the calling agent's: $CLAUDE_CODE_SESSION_ID, $CODEX_THREAD_ID,
                  or in Gemini CLI the session whose start saved the gemini process this runs under)
  --project NAME  project name (default: derived from the repository)
  --json          print JSON
`;

export const factsCommand: Command = {
  usage,
  async run(context) {
    const { values } = parseCommandArgs('facts', {
      args: context.args,
      options: { session: { type: 'string' }, project: { type: 'string' }, json: { type: 'boolean' } },
    });
    const session = callingSession(values.session, context);
    const facts = await currentSessionFacts(context.paths, { ...session, cwd: context.cwd, explicitProject: values.project }, context.now());
    const { captured } = facts;
    const duration = captured ? durationEstimate(captured.activeMs) : null;
    const files = captured?.files ?? [];
    if (values.json) {
      context.stdout(`${JSON.stringify({ project: facts.project, branch: facts.repo?.branch ?? null, files_modified: files, duration_estimate: duration }, null, 2)}\n`);
      return 0;
    }
    context.stdout(
      [
        `- Project: ${facts.project}`,
        `- Branch: ${facts.repo?.branch ?? '(not a git repository)'}`,
        `- Duration so far: ${duration ?? 'unknown (no transcript or saved start for this session)'}`,
        `- Files changed (${files.length}): ${files.length ? files.join(', ') : captured ? 'none found yet' : 'unknown (no transcript or saved start for this session)'}`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};
