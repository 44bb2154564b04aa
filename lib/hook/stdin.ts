import { isRecord } from '../is-record.js';

/** All of standard input as text; empty when stdin is a terminal, so nothing waits on a person. */
export async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A hook's input, which Claude Code sends as one JSON object; else an error whose first line says what was wrong. */
export function parseHookJson(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`hook input on stdin was not JSON (${(error as Error).message.replace(/\s+/g, ' ')})`, { cause: error });
  }
  if (!isRecord(value)) throw new Error('hook input on stdin was not a JSON object');
  return value;
}
