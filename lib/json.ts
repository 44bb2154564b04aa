/** A JSON object (not an array, not null): what a parsed value must be before its keys are read. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type ParsedJson = { ok: true; value: unknown } | { ok: false; error: SyntaxError };

/** JSON text parsed without throwing: each caller says in its own words what bad JSON means for it. */
export function parseJson(text: string): ParsedJson {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: error as SyntaxError };
  }
}

/** One line for a parse error, as messages quote it. */
export function parseProblem(error: SyntaxError): string {
  return error.message.replace(/\s+/g, ' ');
}
