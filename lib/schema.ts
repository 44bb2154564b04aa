import { z } from 'zod';

const clientSchema = z.enum(['claude-code', 'cursor', 'other']);
const adrStatusSchema = z.enum(['proposed', 'accepted', 'deprecated', 'superseded']);
const severitySchema = z.enum(['low', 'medium', 'high', 'critical']);

/** A decision as sessions.json stores it (aiconfig's shape). */
export interface Decision {
  decision: string;
  rationale?: string;
}

/** What the model hands to `log-session record`. Strict: a misspelt field is an error that names it. */
const nonEmptyText = (what: string) => z.string({ error: `expected ${what}, as a string` }).trim().min(1, `${what} must not be empty`);
const textList = (what: string) =>
  z.array(z.string({ error: `expected ${what} as strings` }), { error: `expected a list of ${what} (strings)` });

export const recordInputSchema = z.strictObject(
  {
    summary: nonEmptyText('a summary of what the session did'),
    project: nonEmptyText('the project name').optional(),
    client: clientSchema.optional(),
    files_modified: textList('file paths').optional(),
    decisions_made: z
      .array(
        z.union([
          nonEmptyText('a decision'),
          z.strictObject({
            decision: nonEmptyText('the decision itself'),
            rationale: z.string({ error: 'expected the rationale as a string' }).optional(),
          }),
        ], { error: 'expected a decision as a string or {"decision": "...", "rationale": "..."}' }),
        { error: 'expected a list of decisions' },
      )
      .optional(),
    follow_up: textList('follow-up tasks').optional(),
    tags: textList('tags').optional(),
    context_for_next_session: z.string({ error: 'expected a hint for the next session, as a string' }).optional(),
    current_focus: nonEmptyText('the current focus').optional(),
    known_issues: z
      .array(
        z.union([
          nonEmptyText('a known issue'),
          z.strictObject({
            issue: nonEmptyText('the issue'),
            severity: severitySchema.optional(),
          }),
        ], { error: 'expected a known issue as a string or {"issue": "...", "severity": "low|medium|high|critical"}' }),
        { error: 'expected a list of known issues' },
      )
      .optional(),
    adrs: z
      .array(
        z.strictObject({
          title: nonEmptyText('the ADR title'),
          decision: nonEmptyText('the decision'),
          context: z.string().optional(),
          rationale: z.string().optional(),
          alternatives_considered: textList('alternatives').optional(),
          consequences: textList('consequences').optional(),
          status: adrStatusSchema.optional(),
          superseded_by: z.string().optional(),
          tags: textList('tags').optional(),
        }),
        { error: 'expected a list of ADRs ({"title", "decision", ...})' },
      )
      .optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'expected one JSON object with at least "summary"') },
);
export type RecordInput = z.infer<typeof recordInputSchema>;

const allowedRecordKeys = Object.keys(recordInputSchema.shape).join(', ');

/** One line per problem, naming the field and what to write there: the model retries from these. */
export function describeIssues(error: z.ZodError, input: unknown): string[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const prefix = issue.path.length ? `${formatPath(issue.path)}.` : '';
      return issue.keys.map((key) => `${prefix}${key}: unknown field; allowed: ${allowedRecordKeys}`);
    }
    const field = issue.path.length ? formatPath(issue.path) : '(input)';
    const given = valueAt(input, issue.path);
    if (issue.code === 'invalid_value') {
      return `${field}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(given)}`;
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
