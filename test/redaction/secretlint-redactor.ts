/**
 * secretlint's recommended preset as a redactor, for comparison only: it is not a dependency. Install it without
 * saving to try it: `npm install --no-save @secretlint/core@12.0.0 @secretlint/secretlint-rule-preset-recommend@12.0.0`
 * (13.x needs Node 22). Its API is asynchronous: `lintSource` returns a Promise.
 */

interface LintMessage {
  range: readonly [number, number];
}

type Lint = (input: { source: object; options: object }) => Promise<{ messages: LintMessage[] }>;

/** Names held in variables so the type checker does not look for packages that are not installed. */
const CORE = '@secretlint/core';
const PRESET = '@secretlint/secretlint-rule-preset-recommend';

export async function loadSecretlintRedactor(): Promise<(text: string) => Promise<string>> {
  const core = (await import(CORE)) as { lintSource: Lint };
  const preset = (await import(PRESET)) as { creator: object };
  const config = { rules: [{ id: PRESET, rule: preset.creator }] };
  return async (text) => {
    const result = await core.lintSource({
      source: { filePath: '/corpus.txt', content: text, ext: '.txt', contentType: 'text' },
      options: { config, noPhysicFilePath: true },
    });
    return replaceRanges(text, result.messages.map((message) => message.range));
  };
}

/** Each reported range replaced by `[REDACTED]`; overlapping ranges become one. */
function replaceRanges(text: string, ranges: (readonly [number, number])[]): string {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [start, end] of sorted) {
    if (end <= at) continue;
    out += text.slice(at, Math.max(at, start)) + '[REDACTED]';
    at = end;
  }
  return out + text.slice(at);
}
