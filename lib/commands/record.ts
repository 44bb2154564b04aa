import { parseCommandArgs, sessionKeyFrom, type Command } from './command.js';
import { problemsError, UsageError } from '../errors.js';
import { parseJson } from '../json.js';
import { displayPath } from '../paths.js';
import { viewSession, type SessionEntry } from '../memory/shape.js';
import { describeIssues, RECORD_LIMITS, recordInputSchema, type RecordInput } from '../session/authored.js';
import { updateSessionEntry } from '../session/update.js';

const usage = `Usage: log-session record [--session ID] [--project NAME] [--json] < session.json
       log-session record [--session ID] --summary TEXT [--decision TEXT [--rationale TEXT]]... [--follow-up TEXT]...
                          [--tag TAG]... [--next TEXT] [--focus TEXT] [--issue TEXT]... [--file PATH]...

Records this session in project memory (~/aiconfig/memory/projects/<project>/). Give the fields as options
(each --rationale belongs to the --decision before it), or one JSON object on stdin:
  summary (required)          what the session did
  decisions_made              ["...", or {"decision": "...", "rationale": "..."}]
  follow_up, tags             lists of strings
  context_for_next_session    what the next session should know first
  files_modified              only files the tool missed (it finds the rest itself)
  current_focus, known_issues  [{"issue": "...", "severity": "low|medium|high|critical"}]
  adrs                        [{"title", "decision", "context?", "rationale?", "alternatives_considered?", "consequences?", "status?"}]
  project, client             override the derived project name / the client (claude-code | cursor | other)

Options:
  --session ID    Claude Code session id (default: $CLAUDE_CODE_SESSION_ID); recording it again updates its entry
  --project NAME  project name (default: git origin's repo name, else package.json name, else the folder name)
  --json          print the written entry as JSON instead of the summary block
  --summary, --decision, --rationale, --follow-up, --tag, --next (context_for_next_session), --focus (current_focus),
  --issue (known issue), --file (files_modified): the fields as options; stdin is then not read

Limits (beyond them nothing is written, and the message names the field): stdin ${RECORD_LIMITS.inputBytes} bytes,
nesting ${RECORD_LIMITS.depth} levels; a summary, hint, focus or ADR text ${RECORD_LIMITS.longText} characters, a list item
or title ${RECORD_LIMITS.shortText}; a list ${RECORD_LIMITS.listItems} items, files_modified ${RECORD_LIMITS.files}, adrs ${RECORD_LIMITS.adrs}.
Two ADRs of one record may not share a title (compared without case).
`;

export const recordCommand: Command = {
  usage,
  async run(context) {
    const { options, fields } = parseOptions(context.args);
    const input = validateInput(fields ?? parseInput(await context.readStdin(RECORD_LIMITS.inputBytes)));
    const sessionKey = sessionKeyFrom(options.session, context.env);
    const written = await updateSessionEntry(
      { paths: context.paths, now: context.now, warn: (message) => context.stderr(`log-session: ${message}\n`) },
      { sessionKey, cwd: context.cwd, explicitProject: options.project ?? input.project },
      input,
    );
    if (options.json) {
      context.stdout(`${JSON.stringify(written.entry, null, 2)}\n`);
    } else {
      context.stdout(recordedBlock(written.entry, displayPath(written.sessionsPath, context.paths.home)));
    }
    return 0;
  },
};

/** What `record` says it wrote, read through the entry's view (an entry edited by hand may hold anything). */
function recordedBlock(entry: SessionEntry, sessionsPath: string): string {
  const { files, decisions, followUps, nextHint } = viewSession(entry);
  return [
    `Session logged to: ${sessionsPath}`,
    '',
    'Recorded:',
    `- Summary: ${entry.summary}`,
    `- Files: ${files.length} modified`,
    `- Decisions: ${decisions.length} recorded`,
    `- Follow-ups: ${followUps.length} tasks`,
    '',
    `Next session hint: ${nextHint ?? ''}`,
    '',
  ].join('\n');
}

const fieldOptions = {
  summary: { type: 'string' },
  decision: { type: 'string', multiple: true },
  rationale: { type: 'string', multiple: true },
  'follow-up': { type: 'string', multiple: true },
  tag: { type: 'string', multiple: true },
  next: { type: 'string' },
  focus: { type: 'string' },
  issue: { type: 'string', multiple: true },
  file: { type: 'string', multiple: true },
} as const;

function parseOptions(args: string[]) {
  const parsed = parseCommandArgs('record', {
    args,
    tokens: true,
    options: { session: { type: 'string' }, project: { type: 'string' }, json: { type: 'boolean' }, ...fieldOptions },
  });
  const { values, tokens } = parsed;
  const options = { session: values.session, project: values.project, json: values.json };
  const given = Object.keys(fieldOptions).some((name) => values[name as keyof typeof fieldOptions] !== undefined);
  return { options, fields: given ? fieldsFromOptions(values, tokens) : undefined };
}

/** The options as the same object the JSON form takes, so one schema validates both. */
function fieldsFromOptions(
  values: Record<string, string | string[] | boolean | undefined>,
  tokens: { kind: string; name?: string; value?: string | undefined }[],
): Record<string, unknown> {
  const decisions: { decision?: string; rationale?: string }[] = [];
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (token.name === 'decision') decisions.push({ decision: token.value ?? '' });
    if (token.name === 'rationale') {
      const last = decisions.at(-1);
      if (!last || last.rationale !== undefined) {
        throw new UsageError(`--rationale "${token.value ?? ''}" follows no --decision: give each --decision "..." first, then its --rationale "..."`);
      }
      last.rationale = token.value ?? '';
    }
  }
  const fields: Record<string, unknown> = {
    summary: values.summary,
    decisions_made: decisions.length ? decisions : undefined,
    follow_up: values['follow-up'],
    tags: values.tag,
    context_for_next_session: values.next,
    current_focus: values.focus,
    known_issues: values.issue,
    files_modified: values.file,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

function parseInput(text: string | undefined): unknown {
  if (text === undefined) {
    throw new UsageError(`stdin holds more than ${RECORD_LIMITS.inputBytes} bytes, the most record takes; nothing written. Record the session's account, not its content.`);
  }
  if (!text.trim()) {
    throw new UsageError('nothing to record. Give --summary "..." (and the other options), or pipe one JSON object, e.g. {"summary": "..."}.');
  }
  const parsed = parseJson(text);
  if (!parsed.ok) throw new UsageError(`stdin is not valid JSON (${parsed.error.message}), nothing written. Send one JSON object.`);
  const deep = deeperThan(parsed.value, RECORD_LIMITS.depth);
  if (deep) throw new UsageError(`${deep}: nested more than ${RECORD_LIMITS.depth} levels deep; record takes texts, lists of texts and ADR objects (see --help). Nothing written.`);
  return parsed.value;
}

/** The path of the first value nested deeper than `limit` levels, walked without recursion; `undefined` when none is. */
function deeperThan(value: unknown, limit: number): string | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth >= limit) return next.path || '(input)';
    for (const [key, inner] of Object.entries(next.value)) {
      const path = Array.isArray(next.value) ? `${next.path}[${key}]` : next.path ? `${next.path}.${key}` : key;
      pending.push({ value: inner, path, depth: next.depth + 1 });
    }
  }
  return undefined;
}

function validateInput(value: unknown): RecordInput {
  const result = recordInputSchema.safeParse(value);
  if (result.success) return result.data;
  throw problemsError(describeIssues(result.error, value));
}

