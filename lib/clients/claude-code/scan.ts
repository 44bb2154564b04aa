import { parseJson } from '../../json.js';

/**
 * Speed: a Stop hook reads transcripts after every turn, and 2.1.x transcripts carry multi-MB lines (prompt
 * snapshots, api-request, progress). Each line is first walked at the byte level for its top-level scalars (type,
 * cwd, timestamp, ...) and the byte range of its `message`. Pure.
 */

// ---------------------------------------------------------------------------------------------------------------
// Envelope scanner: top-level keys of one JSON line, at the byte level

export const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/** Line types read to their end: those whose `message` can matter, and the small `system` lines. */
const FULL_SCAN_TYPES = new Set(['user', 'assistant', 'system']);
/** Top-level keys that hold the bulk of lines that never matter (attachment, progress, file-history-snapshot, api-request*). */
const BULK_KEYS = new Set(['attachment', 'data', 'snapshot', 'params', 'shape']);

export interface Envelope {
  type?: string;
  sessionId?: string;
  timestamp?: string;
  cwd?: string;
  gitBranch?: string;
  isSidechain: boolean;
  isMeta: boolean;
  isCompactSummary: boolean;
  isApiErrorMessage: boolean;
  /** `summary` (of a `summary` line), `aiTitle` or `customTitle`: Claude Code's own title of the session. */
  title?: string;
  /** The top-level `message` value, as a view of the line's bytes. */
  message?: Buffer;
  /** False when the scan stopped at a bulky value of a line that cannot matter. */
  complete: boolean;
}

/**
 * Walks the top-level keys of the JSON object on one line: keeps the scalars we use and the range of
 * `message`, skips other values. Stops early at the first object/array value of a line that cannot matter.
 * Undefined when the line is not a JSON object (garbage, truncated).
 */
export function scanEnvelope(buf: Buffer): Envelope | undefined {
  const end = buf.length;
  let i = skipSpace(buf, 0, end);
  if (buf[i] !== OPEN_BRACE) return undefined;
  const env: Envelope = {
    isSidechain: false,
    isMeta: false,
    isCompactSummary: false,
    isApiErrorMessage: false,
    complete: false,
  };
  i = skipSpace(buf, i + 1, end);
  if (buf[i] === CLOSE_BRACE) return { ...env, complete: true };
  for (;;) {
    if (buf[i] !== QUOTE) return undefined;
    const keyEnd = stringEnd(buf, i, end);
    if (keyEnd === -1) return undefined;
    const key = buf.toString('latin1', i + 1, keyEnd);
    i = skipSpace(buf, keyEnd + 1, end);
    if (buf[i] !== COLON) return undefined;
    const valueStart = skipSpace(buf, i + 1, end);
    const first = buf[valueStart];
    const nested = first === OPEN_BRACE || first === OPEN_BRACKET;
    if (nested && key !== 'message' && (BULK_KEYS.has(key) || (env.type !== undefined && !FULL_SCAN_TYPES.has(env.type)))) {
      return env;
    }
    const valueEnd = skipValue(buf, valueStart, end);
    if (valueEnd === -1) return undefined;
    if (key === 'message' && nested) {
      env.message = buf.subarray(valueStart, valueEnd);
    } else if (!nested) {
      noteScalar(env, key, buf, valueStart, valueEnd);
    }
    i = skipSpace(buf, valueEnd, end);
    if (buf[i] === COMMA) i = skipSpace(buf, i + 1, end);
    else if (buf[i] === CLOSE_BRACE) return { ...env, complete: true };
    else return undefined;
  }
}

function noteScalar(env: Envelope, key: string, buf: Buffer, start: number, end: number): void {
  switch (key) {
    case 'type':
    case 'sessionId':
    case 'timestamp':
    case 'cwd':
    case 'gitBranch': {
      if (buf[start] !== QUOTE) return;
      const value = decodeString(buf.subarray(start, end));
      if (value !== undefined) env[key] = value;
      return;
    }
    case 'summary':
    case 'aiTitle':
    case 'customTitle': {
      if (buf[start] !== QUOTE) return;
      env.title = decodeString(buf.subarray(start, end));
      return;
    }
    case 'isSidechain':
    case 'isMeta':
    case 'isCompactSummary':
    case 'isApiErrorMessage':
      env[key] = buf[start] === 0x74; // 't' of true
  }
}

/** A JSON string literal (quotes included) as a string. */
function decodeString(literal: Buffer): string | undefined {
  if (!literal.includes(BACKSLASH)) return literal.toString('utf8', 1, literal.length - 1);
  const value = parseJsonBytes(literal);
  return typeof value === 'string' ? value : undefined;
}

const TIMESTAMP_KEY = Buffer.from('"timestamp":"');
const TAIL_BYTES = 4096;

/** A line's top-level `timestamp` usually comes last: look for it in the line's tail only. */
export function tailTimestamp(line: Buffer): string | undefined {
  const tail = line.subarray(Math.max(0, line.length - TAIL_BYTES));
  const at = tail.lastIndexOf(TIMESTAMP_KEY);
  if (at === -1) return undefined;
  const valueStart = at + TIMESTAMP_KEY.length;
  const valueEnd = tail.indexOf(QUOTE, valueStart);
  return valueEnd === -1 ? undefined : tail.toString('latin1', valueStart, valueEnd);
}

function skipSpace(buf: Buffer, i: number, end: number): number {
  while (i < end) {
    const b = buf[i]!;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0a) break;
    i++;
  }
  return i;
}

/** Index of the quote that closes the string opened at `open`; -1 when it does not close before `end`. */
function stringEnd(buf: Buffer, open: number, end: number): number {
  for (let from = open + 1; ; ) {
    const quote = buf.indexOf(QUOTE, from);
    if (quote === -1 || quote >= end) return -1;
    let backslashes = 0;
    while (buf[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

/** Index just past the JSON value that starts at `i`; -1 when it does not end before `end`. */
function skipValue(buf: Buffer, i: number, end: number): number {
  const first = buf[i];
  if (first === QUOTE) {
    const close = stringEnd(buf, i, end);
    return close === -1 ? -1 : close + 1;
  }
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < end; j++) {
      const b = buf[j];
      if (b === QUOTE) {
        j = stringEnd(buf, j, end);
        if (j === -1) return -1;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        depth++;
      } else if ((b === CLOSE_BRACE || b === CLOSE_BRACKET) && --depth === 0) {
        return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < end) {
    const b = buf[j]!;
    if (b === COMMA || b === CLOSE_BRACE || b === CLOSE_BRACKET || b <= 0x20) break;
    j++;
  }
  return j === i ? -1 : j;
}

/** A JSON value from bytes; `undefined` when they do not parse (a line cut short, garbage). */
export function parseJsonBytes(bytes: Buffer): unknown {
  const parsed = parseJson(bytes.toString('utf8'));
  return parsed.ok ? parsed.value : undefined;
}
