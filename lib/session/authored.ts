import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { adrStatusSchema, severitySchema } from '../memory/schemas.js';

// zod/mini loads in ~4 ms where classic zod takes ~23 ms, paid by every hook and command. It ships without
// messages: English covers the issues that carry no message of ours.
z.config(en());

const clientSchema = z.enum(['claude-code', 'cursor', 'other']);

/**
 * How much `record` takes: far above what a session's account needs, far below what would make every later
 * write of the project slow (memory is rewritten whole) or a hook's brief useless.
 */
export const RECORD_LIMITS = {
  /** Bytes of JSON on stdin. */
  inputBytes: 1 << 20,
  /** Levels of nesting in that JSON (an ADR's lists are the deepest the input has: 4). */
  depth: 8,
  /** Characters of a summary, a hint or an ADR's text. */
  longText: 10_000,
  /** Characters of one list item, a title, a tag. */
  shortText: 2_000,
  /** Items of a list. */
  listItems: 200,
  /** Paths in files_modified. */
  files: 10_000,
  /** ADRs in one record. */
  adrs: 50,
} as const;

const text = (what: string, max: number) =>
  z.string({ error: `expected ${what}, as a string` }).check(z.trim(), z.maxLength(max));
const nonEmptyText = (what: string, max: number = RECORD_LIMITS.shortText) =>
  text(what, max).check(z.minLength(1, `${what} must not be empty`));
const textList = (what: string, maxItems: number = RECORD_LIMITS.listItems) =>
  z.array(
    z.string({ error: `expected ${what} as strings` }).check(z.trim(), z.minLength(1, `${what}: an entry must not be empty`), z.maxLength(RECORD_LIMITS.shortText)),
    { error: `expected a list of ${what} (strings)` },
  ).check(z.maxLength(maxItems));

const optionalText = (what: string, max: number = RECORD_LIMITS.longText) => z.optional(text(what, max));

const decisionObject = z.strictObject({
  decision: nonEmptyText('the decision itself'),
  rationale: optionalText('the rationale'),
});
const knownIssueObject = z.strictObject({
  issue: nonEmptyText('the issue'),
  severity: z.optional(severitySchema),
});
const adrObject = z.strictObject({
  title: nonEmptyText('the ADR title'),
  decision: nonEmptyText('the decision', RECORD_LIMITS.longText),
  context: optionalText('the context'),
  rationale: optionalText('the rationale'),
  alternatives_considered: z.optional(textList('alternatives')),
  consequences: z.optional(textList('consequences')),
  status: z.optional(adrStatusSchema),
  superseded_by: optionalText('the id of the ADR that supersedes it', RECORD_LIMITS.shortText),
  supersedes: z.optional(nonEmptyText('the id of the ADR it supersedes, e.g. ADR-003')),
  tags: z.optional(textList('tags')),
});

/** A list whose items are each a plain text or an object of `shape`, e.g. a decision with its rationale. */
const textOrObjectList = <Item extends z.ZodMiniType>(what: string, object: Item, shape: string) =>
  z.array(z.union([nonEmptyText(`a ${what}`), object], { error: `expected a ${what} as a string or ${shape}` }), {
    error: `expected a list of ${what}s`,
  }).check(z.maxLength(RECORD_LIMITS.listItems));

/** ADRs of one record are told apart by title: two that differ only in case would become one. */
const adrList = z.array(adrObject, { error: 'expected a list of ADRs ({"title", "decision", ...})' }).check(
  z.maxLength(RECORD_LIMITS.adrs),
  z.superRefine((adrs, context) => {
    const seen = new Map<string, number>();
    adrs.forEach((adr, index) => {
      const first = seen.get(adr.title.toLowerCase());
      if (first === undefined) return void seen.set(adr.title.toLowerCase(), index);
      context.addIssue({
        code: 'custom',
        path: [index, 'title'],
        message: `repeats the title of adrs[${first}].title (titles are compared without case); give each ADR its own title`,
        input: adr.title,
      });
    });
  }),
);

/** What the model hands to `log-session record`: its own account of the session. Strict: a misspelt field is an error that names it. */
export const recordInputSchema = z.strictObject(
  {
    summary: nonEmptyText('a summary of what the session did', RECORD_LIMITS.longText),
    project: z.optional(nonEmptyText('the project name')),
    client: z.optional(clientSchema),
    files_modified: z.optional(textList('file paths', RECORD_LIMITS.files)),
    decisions_made: z.optional(textOrObjectList('decision', decisionObject, '{"decision": "...", "rationale": "..."}')),
    follow_up: z.optional(textList('follow-up tasks')),
    tags: z.optional(textList('tags')),
    context_for_next_session: optionalText('a hint for the next session'),
    current_focus: z.optional(nonEmptyText('the current focus', RECORD_LIMITS.longText)),
    known_issues: z.optional(textOrObjectList('known issue', knownIssueObject, '{"issue": "...", "severity": "low|medium|high|critical"}')),
    resolved_issues: z.optional(textList('resolved known issues')),
    done: z.optional(textList('follow-ups done')),
    adrs: z.optional(adrList),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'expected one JSON object with at least "summary"') },
);
export type RecordInput = z.infer<typeof recordInputSchema>;

/** The keys allowed where an unknown one was found: at the top, or in a list item of one of these fields. */
const allowedKeys = (path: PropertyKey[]): string =>
  Object.keys(
    path[0] === 'decisions_made' ? decisionObject.shape
    : path[0] === 'known_issues' ? knownIssueObject.shape
    : path[0] === 'adrs' ? adrObject.shape
    : recordInputSchema.shape,
  ).join(', ');

/** One line per problem, naming the field and what to write there: the model retries from these. */
export function describeIssues(error: z.core.$ZodError, input: unknown): string[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const prefix = issue.path.length ? `${formatPath(issue.path)}.` : '';
      return issue.keys.map((key) => `${prefix}${key}: unknown field; allowed: ${allowedKeys(issue.path)}`);
    }
    const field = issue.path.length ? formatPath(issue.path) : '(input)';
    const given = valueAt(input, issue.path);
    if (issue.code === 'invalid_value') {
      return `${field}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(given)}`;
    }
    if (issue.code === 'too_big') {
      const size = typeof given === 'string' ? `${given.length} characters` : Array.isArray(given) ? `${given.length} items` : 'too big';
      return `${field}: ${size}; at most ${issue.maximum}${issue.origin === 'string' ? ' characters' : ' items'}`;
    }
    if (issue.code === 'invalid_type' && given === undefined) {
      return `${field}: required: ${issue.message.replace(/^expected /, '')}`;
    }
    return `${field}: ${issue.message}${issue.code === 'invalid_type' || issue.code === 'invalid_union' ? `, got ${describe(given)}` : ''}`;
  });
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((value, key) => (typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined), input);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)),
    '',
  );
}
