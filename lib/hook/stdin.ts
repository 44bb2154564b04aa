import { isRecord, parseJson, parseProblem } from '../json.js';

/**
 * All of standard input as text; empty when stdin is a terminal, so nothing waits on a person. `undefined` once
 * it passes `maxBytes`: the rest is not read, so an oversized input never fills memory.
 */
export async function readStdin(maxBytes = Infinity): Promise<string | undefined> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      process.stdin.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A hook's input from stdin, which Claude Code sends as one JSON object. */
export async function readHookInput(): Promise<Record<string, unknown>> {
  return parseHookJson((await readStdin()) ?? '');
}

/** A hook's input text as a JSON object; else an error whose first line says what was wrong. */
export function parseHookJson(text: string): Record<string, unknown> {
  const parsed = parseJson(text);
  if (!parsed.ok) throw new Error(`hook input on stdin was not JSON (${parseProblem(parsed.error)})`, { cause: parsed.error });
  if (!isRecord(parsed.value)) throw new Error('hook input on stdin was not a JSON object');
  return parsed.value;
}
