/**
 * A small stand-in for the Anthropic Messages API, for driving the real Claude Code CLI in tests.
 *
 * Listens on 127.0.0.1 (random port) and answers `POST /v1/messages` (the CLI sends `?beta=true`) with
 * server-sent events for scripted assistant turns: text blocks and tool_use blocks. Every request is recorded
 * (method, path, headers, parsed JSON body) for assertions.
 *
 * Which turn answers a request: the number of assistant messages after the last user message that is a prompt
 * (one without tool_result blocks). So each `claude -p` run, resumed or not, starts again at turn 0 of its
 * script, and concurrent sessions do not disturb each other. Past the end of a script the answer is
 * `{ text: 'done' }` (end_turn), so a session always ends.
 *
 * Which script answers a request: the newest one added with `script(turns, when)` whose `when` matches
 * (a session id, a piece of the first prompt, or a predicate), else the default `script(turns)`.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { parseBody, readBody, ScriptBook, sendJson, serveOnLoopback } from './loopback-api.js';

export interface ToolCall {
  name: string;
  input: unknown;
  /** Default: a fresh `toolu_…` id. */
  id?: string;
}

/** One assistant message: optional text first, then the tool calls (stop_reason `tool_use` if any). */
export interface Turn {
  text?: string;
  tools?: ToolCall[];
}

/** What a turn function gets: the request and the tool results it carries (those of the last user message). */
export interface TurnContext {
  request: RecordedRequest;
  /** 0 for the first answer to a prompt, 1 after the first tool results, … */
  index: number;
  toolResults: ToolResult[];
}

export type ScriptedTurn = Turn | ((context: TurnContext) => Turn);

export interface ToolResult {
  toolUseId: string;
  isError: boolean;
  /** The tool_result content as text (text blocks joined). */
  text: string;
  /** Text blocks that follow the tool_result in the same user message (e.g. a loaded skill's body). */
  followingText: string[];
}

export interface RecordedRequest {
  method: string;
  /** Path with query, e.g. `/v1/messages?beta=true`. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or `undefined` when the body was empty or not JSON. */
  body: MessagesRequestBody | undefined;
  /** The `x-claude-code-session-id` header. */
  sessionId: string | undefined;
}

/** The parts of a Messages request the tests look at; everything else is kept as sent. */
export interface MessagesRequestBody {
  model?: string;
  stream?: boolean;
  system?: unknown;
  tools?: { name: string }[];
  messages?: ApiMessage[];
  [key: string]: unknown;
}

export interface ApiMessage {
  role: 'user' | 'assistant' | 'system' | string;
  content: string | ContentBlock[];
}

export interface ContentBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  is_error?: boolean;
  content?: string | ContentBlock[];
  [key: string]: unknown;
}

export type ScriptMatch = { sessionId: string } | { promptIncludes: string } | ((request: RecordedRequest) => boolean);

export interface FakeMessagesApi {
  /** `http://127.0.0.1:<port>`, for `ANTHROPIC_BASE_URL`. */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /**
   * What scripted turn functions (or the server) threw. Each was answered with a 400; the CLI re-sends it a few
   * times with fewer beta flags, prints `API Error: 400 …` and exits 1.
   */
  errors: unknown[];
  /** Set the default script (no `when`), or add a script for the matching sessions. */
  script(turns: ScriptedTurn[], when?: ScriptMatch): void;
  /** The `POST /v1/messages` requests, optionally only those of one session id. */
  messageRequests(sessionId?: string): RecordedRequest[];
  close(): Promise<void>;
}

const DEFAULT_TURN: Turn = { text: 'done' };

export async function startFakeMessagesApi(): Promise<FakeMessagesApi> {
  const requests: RecordedRequest[] = [];
  const scripts = new ScriptBook<ScriptedTurn, RecordedRequest>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body: parseBody<MessagesRequestBody>(raw),
      sessionId: header(req.headers, 'x-claude-code-session-id'),
    };
    requests.push(request);
    const path = request.url.split('?')[0];

    if (request.method === 'HEAD') {
      res.writeHead(200).end();
    } else if (request.method === 'POST' && path === '/v1/messages/count_tokens') {
      sendJson(res, 200, { input_tokens: Math.ceil(raw.length / 4) });
    } else if (request.method === 'POST' && path === '/v1/messages') {
      if (!request.body || !Array.isArray(request.body.messages)) {
        sendJson(res, 400, apiError('invalid_request_error', 'messages: expected an array'));
        return;
      }
      answerMessages(res, request, chooseTurn(request, scripts.for(request)));
    } else {
      sendJson(res, 404, apiError('not_found_error', `${request.method} ${path}: not served by the fake API`));
    }
  }

  // A throwing turn is answered with a 400: the CLI re-sends it a few times with fewer beta flags and exits 1.
  const server = await serveOnLoopback(handle, (message) => apiError('invalid_request_error', message));
  return {
    ...server,
    requests,
    script: (turns, when) => scripts.add(turns, when && matcher(when)),
    messageRequests(sessionId) {
      return requests.filter(
        (r) =>
          r.method === 'POST' &&
          r.url.split('?')[0] === '/v1/messages' &&
          (sessionId === undefined || r.sessionId === sessionId),
      );
    },
  };
}

function matcher(when: ScriptMatch): (request: RecordedRequest) => boolean {
  if (typeof when === 'function') return when;
  if ('sessionId' in when) return (r) => r.sessionId === when.sessionId;
  return (r) => firstPromptText(r.body?.messages ?? []).includes(when.promptIncludes);
}

function chooseTurn(request: RecordedRequest, turns: ScriptedTurn[]): Turn {
  const messages = request.body?.messages ?? [];
  // Side requests (no tools, e.g. a title) must not be answered with tool calls.
  if (!request.body?.tools?.length) return DEFAULT_TURN;
  const index = turnIndex(messages);
  const scripted = turns[index];
  if (scripted === undefined) return DEFAULT_TURN;
  return typeof scripted === 'function' ? scripted({ request, index, toolResults: lastToolResults(messages) }) : scripted;
}

/** Assistant messages since the last user prompt (a user message without tool results). */
function turnIndex(messages: ApiMessage[]): number {
  let count = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role === 'assistant') count++;
    else if (message.role === 'user' && !blocks(message).some((b) => b.type === 'tool_result')) break;
  }
  return count;
}

/** The tool results of the last user message, each with the text blocks that follow it. */
export function lastToolResults(messages: ApiMessage[]): ToolResult[] {
  const last = [...messages].reverse().find((m) => m.role === 'user');
  if (!last) return [];
  const results: ToolResult[] = [];
  for (const block of blocks(last)) {
    if (block.type === 'tool_result') {
      results.push({
        toolUseId: block.tool_use_id ?? '',
        isError: block.is_error === true,
        text: contentText(block.content),
        followingText: [],
      });
    } else if (block.type === 'text' && block.text !== undefined) {
      results.at(-1)?.followingText.push(block.text);
    }
  }
  return results;
}

/** All text of a message content (string or blocks, nested tool_result content included). */
export function contentText(content: string | ContentBlock[] | undefined): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((b) => (b.type === 'tool_result' ? contentText(b.content) : (b.text ?? ''))).join('\n');
}

function firstPromptText(messages: ApiMessage[]): string {
  const first = messages.find((m) => m.role === 'user');
  return first ? contentText(first.content) : '';
}

function blocks(message: ApiMessage): ContentBlock[] {
  return typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
}

function answerMessages(res: ServerResponse, request: RecordedRequest, turn: Turn): void {
  const content: ContentBlock[] = [];
  if (turn.text !== undefined) content.push({ type: 'text', text: turn.text });
  for (const tool of turn.tools ?? []) {
    content.push({ type: 'tool_use', id: tool.id ?? randomId('toolu_'), name: tool.name, input: tool.input });
  }
  const stopReason = turn.tools?.length ? 'tool_use' : 'end_turn';
  const model = request.body?.model ?? 'claude-fake';
  const id = randomId('msg_');
  const usage = { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

  if (request.body?.stream !== true) {
    sendJson(res, 200, { id, type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: null, usage });
    return;
  }

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const event = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event('message_start', {
    message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
  });
  content.forEach((block, index) => {
    if (block.type === 'text') {
      event('content_block_start', { index, content_block: { type: 'text', text: '' } });
      event('content_block_delta', { index, delta: { type: 'text_delta', text: block.text } });
    } else {
      event('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } });
    }
    event('content_block_stop', { index });
  });
  event('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  event('message_stop', {});
  res.end();
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function apiError(type: string, message: string) {
  return { type: 'error', error: { type, message } };
}

function randomId(prefix: string): string {
  return prefix + randomBytes(12).toString('hex');
}
