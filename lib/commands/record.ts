import { parseCommandArgs, type Command } from './command.js';
import { callingSession } from './session-option.js';
import { problemsError, UsageError } from '../errors.js';
import { parseJson } from '../json.js';
import { displayPath } from '../paths.js';
import { viewSession, type SessionEntry } from '../memory/shape.js';
import { describeIssues, RECORD_LIMITS, recordInputSchema, type RecordInput } from '../session/authored.js';
import { updateSessionEntry } from '../session/update.js';

const usage = `Usage: log-session record [--session ID] [--project NAME] [--json] < session.json
       log-session record [--session ID] --summary TEXT [--decision TEXT [--rationale TEXT]]... [--follow-up TEXT]...
                          [--tag TAG]... [--next TEXT] [--focus TEXT] [--issue TEXT]... [--file PATH]...
                          [--done TEXT]... [--resolve TEXT]... [--adr-title TEXT --adr-decision TEXT
                          [--adr-rationale TEXT] [--adr-alternative TEXT]... [--supersedes ADR-ID]]...

Records this session in project memory (~/aiconfig/memory/projects/<project>/). Give the fields as options
(each --rationale belongs to the --decision before it, each --adr-* and --supersedes to the --adr-title before
it), or one JSON object on stdin:
  summary (required)          what the session did
  decisions_made              ["...", or {"decision": "...", "rationale": "..."}]
  follow_up, tags             lists of strings
  done                        follow-ups of earlier sessions this one completed, as listed (case and spacing aside)
  context_for_next_session    what the next session should know first
  files_modified              only files the tool missed (it finds the rest itself)
  current_focus, known_issues  [{"issue": "...", "severity": "low|medium|high|critical"}]
  resolved_issues             known issues this session resolved, as listed: they leave known_issues
  adrs                        [{"title", "decision", "context?", "rationale?", "alternatives_considered?", "consequences?", "status?",
                                "supersedes?": "ADR-003" (that ADR becomes superseded by this one)}]
  project, client             override the derived project name / the client (claude-code | cursor | other)

Options:
  --session ID    the agent's session id, or the entry id show prints; recording it again updates its entry
                  (default: the calling agent's: $CLAUDE_CODE_SESSION_ID, $CODEX_THREAD_ID, or in Gemini CLI
                  the session whose start saved the gemini process this runs under)
  --project NAME  project name (default: git origin's repo name, else package.json name, else the folder name)
  --json          print the written entry as JSON instead of the summary block
  --summary, --decision, --rationale, --follow-up, --tag, --next (context_for_next_session), --focus (current_focus),
  --issue (known issue), --file (files_modified), --done, --resolve (resolved_issues), --adr-title, --adr-decision,
  --adr-rationale, --adr-alternative (alternatives_considered), --supersedes: the fields as options; stdin is then not read

A follow-up named in done, an issue in resolved_issues or an ADR id in supersedes that memory lacks is a problem:
nothing is written, and the message lists what there is.

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
    const session = callingSession(options.session, context);
    const { sessionKey } = session;
    const written = await updateSessionEntry(
      { paths: context.paths, now: context.now, warn: (message) => context.stderr(`log-session: ${message}\n`) },
      { ...session, cwd: context.cwd, explicitProject: options.project ?? input.project },
      input,
    );
    // Said, not guessed: a session the tool knows nothing of gets only what was given.
    const unknown = written.factsFound
      ? []
      : [`- Facts: none found for ${sessionKey ? `session ${sessionKey}` : 'this session (no --session)'} (no transcript or saved start): only what was given is recorded, no files were taken from git`];
    if (options.json) {
      context.stdout(`${JSON.stringify(written.entry, null, 2)}\n`);
      for (const line of unknown) context.stderr(`log-session: ${line.slice(2)}\n`);
    } else {
      context.stdout(recordedBlock(written.entry, displayPath(written.sessionsPath, context.paths.home), [...closedLines(input, written.adrIds), ...unknown]));
    }
    return 0;
  },
};

/** What `record` says it wrote, read through the entry's view (an entry edited by hand may hold anything). */
function recordedBlock(entry: SessionEntry, sessionsPath: string, closed: string[]): string {
  const { files, decisions, followUps, nextHint } = viewSession(entry);
  return [
    `Session logged to: ${sessionsPath}`,
    '',
    'Recorded:',
    `- Summary: ${entry.summary}`,
    `- Files: ${files.length} modified`,
    `- Decisions: ${decisions.length} recorded`,
    `- Follow-ups: ${followUps.length} tasks`,
    ...closed,
    '',
    `Next session hint: ${nextHint ?? ''}`,
    '',
  ].join('\n');
}

/** What the record changed beyond the entry, one line each, only when it did. */
function closedLines(input: RecordInput, adrIds: string[]): string[] {
  const adrs = adrIds.map((id, index) => {
    const supersedes = input.adrs?.[index]?.supersedes;
    return supersedes ? `${id} (supersedes ${supersedes})` : id;
  });
  return [
    ...(input.done?.length ? [`- Done: ${input.done.length} follow-ups of earlier sessions`] : []),
    ...(input.resolved_issues?.length ? [`- Resolved: ${input.resolved_issues.length} known issues`] : []),
    ...(adrs.length ? [`- ADRs: ${adrs.join(', ')}`] : []),
  ];
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
  done: { type: 'string', multiple: true },
  resolve: { type: 'string', multiple: true },
  'adr-title': { type: 'string', multiple: true },
  'adr-decision': { type: 'string', multiple: true },
  'adr-rationale': { type: 'string', multiple: true },
  'adr-alternative': { type: 'string', multiple: true },
  supersedes: { type: 'string', multiple: true },
} as const;

/**
 * Options that belong to the one before them that opens an item: `--rationale` to its `--decision`, an ADR's
 * options to its `--adr-title`. Each member is given once per item, but one that is a list.
 */
interface OptionGroup {
  opener: string;
  key: string;
  members: Record<string, { key: string; list?: true }>;
}

const decisionGroup: OptionGroup = { opener: 'decision', key: 'decision', members: { rationale: { key: 'rationale' } } };
const adrGroup: OptionGroup = {
  opener: 'adr-title',
  key: 'title',
  members: {
    'adr-decision': { key: 'decision' },
    'adr-rationale': { key: 'rationale' },
    'adr-alternative': { key: 'alternatives_considered', list: true },
    supersedes: { key: 'supersedes' },
  },
};

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
  const decisions = groupedOptions(tokens, decisionGroup);
  const adrs = groupedOptions(tokens, adrGroup);
  const fields: Record<string, unknown> = {
    summary: values.summary,
    decisions_made: decisions.length ? decisions : undefined,
    adrs: adrs.length ? adrs : undefined,
    done: values.done,
    resolved_issues: values.resolve,
    follow_up: values['follow-up'],
    tags: values.tag,
    context_for_next_session: values.next,
    current_focus: values.focus,
    known_issues: values.issue,
    files_modified: values.file,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** The items `group` describes, from the options in the order given. */
function groupedOptions(tokens: { kind: string; name?: string; value?: string | undefined }[], group: OptionGroup): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [];
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === undefined) continue;
    const value = token.value ?? '';
    if (token.name === group.opener) items.push({ [group.key]: value });
    const member = group.members[token.name];
    if (!member) continue;
    const last = items.at(-1);
    if (!last || (!member.list && last[member.key] !== undefined)) {
      const order = Object.keys(group.members).map((name) => `--${name} "..."`).join(', ');
      throw new UsageError(`--${token.name} "${value}" follows no --${group.opener}: give each --${group.opener} "..." first, then its ${order}`);
    }
    last[member.key] = member.list ? [...((last[member.key] as string[] | undefined) ?? []), value] : value;
  }
  return items;
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

