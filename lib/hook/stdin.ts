import { fstatSync, readFileSync } from 'node:fs';
import { errorCode } from '../errors.js';
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
  return parseHookJson(await readInputAtOnce());
}

/**
 * stdin in one blocking read, which skips setting up a stream (process.stdin costs a hook ~9 ms in its profile);
 * a non-blocking stdin (EAGAIN) is streamed, and a terminal (a character device: node:tty would load node:net)
 * gives nothing, so nothing waits on a person.
 */
async function readInputAtOnce(): Promise<string> {
  if (fstatSync(0).isCharacterDevice()) return '';
  try {
    return readFileSync(0, 'utf8');
  } catch (error) {
    if (errorCode(error) !== 'EAGAIN') throw error;
    return (await readStdin()) ?? '';
  }
}

/** A hook's input text as a JSON object; else an error whose first line says what was wrong. */
export function parseHookJson(text: string): Record<string, unknown> {
  const parsed = parseJson(text);
  if (!parsed.ok) throw new Error(`hook input on stdin was not JSON (${parseProblem(parsed.error)})`, { cause: parsed.error });
  if (!isRecord(parsed.value)) throw new Error('hook input on stdin was not a JSON object');
  return parsed.value;
}
