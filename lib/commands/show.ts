import { parseCommandArgs, type Command } from './command.js';
import { UsageError } from '../errors.js';
import { describeFollowUp, viewContext, viewSession, type DoneView } from '../memory/shape.js';
import { countOption, projectOption, readMemoryFor } from './project-option.js';

const usage = `Usage: log-session show [--project NAME] [--last N | --all] [--json]

Lists a project's recent sessions, newest first: id, date, duration, summary, files changed, follow-ups (a done one
says when and in which session).

Options:
  --project NAME  project name (default: derived from the repository, as record does)
  --last N        how many sessions (default 5)
  --all           every session, archived ones included (sessions-<YYYY>.json)
  --json          print only JSON: {"project": NAME, "sessions": [entry, ...]}, entries as stored, newest first
`;

export const showCommand: Command = {
  usage,
  async run(context) {
    const { values } = parseCommandArgs('show', {
      args: context.args,
      options: { ...projectOption, last: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' } },
    });
    if (values.all && values.last !== undefined) throw new UsageError('give --last N or --all, not both');
    const last = countOption(values.last, 5);
    const memory = readMemoryFor(context, values.project, { history: values.all ? 'all' : last });
    const sessions = (values.all ? memory.sessions : memory.sessions.slice(-last)).reverse();
    if (values.json) {
      context.stdout(`${JSON.stringify({ project: memory.project, sessions }, null, 2)}\n`);
      return 0;
    }
    if (sessions.length === 0) {
      context.stderr(`log-session show: no sessions recorded for ${memory.project} yet\n`);
      return 0;
    }
    context.stdout(`Sessions of ${memory.project}, newest first:\n\n${sessions.map((session) => describeSession(session, viewContext(memory.context).done)).join('\n')}`);
    return 0;
  },
};

function describeSession(stored: Record<string, unknown>, done: DoneView[]): string {
  const { label, date, duration, summary, files, decisions, followUps } = viewSession(stored);
  return [
    `${label}${duration ? `, ${duration}` : ''}`,
    `  ${summary ?? '(no summary)'}`,
    `  Files: ${files.length}${files.length ? ` (${files.slice(0, 5).join(', ')}${files.length > 5 ? ', …' : ''})` : ''}`,
    ...decisions.map((decision) => `  Decision: ${decision}`),
    ...followUps.map((item) => `  Follow-up: ${describeFollowUp(item, date, done)}`),
    '',
  ].join('\n');
}
