import { parseCommandArgs, type Command } from './command.js';
import { buildBrief } from '../read/brief.js';
import { projectOption, readMemoryFor } from './project-option.js';

const usage = `Usage: log-session context [--project NAME]

Prints the brief that the SessionStart hook gives a new session of this project: the last session, open
follow-ups, current focus, known issues, accepted decisions (at most 6,000 characters). Writes nothing.

Options:
  --project NAME  project name (default: derived from the repository, as record does)
`;

export const contextCommand: Command = {
  usage,
  async run(context) {
    const { values } = parseCommandArgs('context', { args: context.args, options: projectOption });
    const memory = readMemoryFor(context, values.project);
    const brief = buildBrief(memory, context.now());
    if (brief === undefined) context.stderr(`log-session context: no memory for ${memory.project} yet\n`);
    else context.stdout(`${brief}\n`);
    return 0;
  },
};
