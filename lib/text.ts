/** Each string once, in first-seen order. */
export function uniqueStrings(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/** `text` cut to at most `limit` characters, an ellipsis marking the cut. */
export function clip(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

/** A text as compared when case and spacing do not count: "Add  Tests" and "add tests" are one task. */
export function comparableText(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}
