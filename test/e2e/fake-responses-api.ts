/**
 * A small stand-in for the OpenAI Responses API, for driving the real Codex CLI in tests (as fake-messages-api.ts
 * does for Claude Code).
 *
 * Listens on 127.0.0.1 (random port) and answers `POST /v1/responses` with server-sent events
 * (`response.created`, one `response.output_item.done` per output item, `response.completed`) for scripted turns:
 * an assistant text, or one tool call (`apply_patch`, a freeform custom tool; `exec_command`, a function). Every
 * request is recorded (path, parsed JSON body) for assertions.
 *
 * Which turn answers a request: the number of tool calls in `input` after its last user message, so each
 * `codex exec` run starts again at turn 0 of its script. Past the end of a script the answer is the text 'done',
 * so a session always ends. Which script: the newest added with `script(turns, promptIncludes)` whose text is in
 * the last user message, else the default `script(turns)`.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseBody, readBody, ScriptBook, sendJson, serveOnLoopback } from './loopback-api.js';

/** One answer: a text, or one tool call (the CLI runs it and sends its output in the next request). */
export type ResponsesTurn = { text: string } | { patch: string } | { exec: string };

export interface ResponsesRequest {
  url: string;
  body: ResponsesBody | undefined;
}

export interface ResponsesBody {
  model?: string;
  input?: InputItem[];
  tools?: { type: string; name?: string }[];
  [key: string]: unknown;
}

export interface InputItem {
  type: string;
  role?: string;
  content?: { type: string; text?: string }[];
  call_id?: string;
  output?: unknown;
  [key: string]: unknown;
}

export interface FakeResponsesApi {
  /** `http://127.0.0.1:<port>/v1`, for the provider's `base_url`. */
  url: string;
  requests: ResponsesRequest[];
  /** Set the default script, or add one for the runs whose last prompt includes `promptIncludes`. */
  script(turns: ResponsesTurn[], promptIncludes?: string): void;
  /** The requests whose last user message includes `text`. */
  requestsFor(text: string): ResponsesRequest[];
  close(): Promise<void>;
}

const CALLS = new Set(['function_call', 'custom_tool_call']);

export async function startFakeResponsesApi(): Promise<FakeResponsesApi> {
  const requests: ResponsesRequest[] = [];
  const scripts = new ScriptBook<ResponsesTurn, string>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request: ResponsesRequest = { url: req.url ?? '/', body: parseBody<ResponsesBody>(await readBody(req)) };
    requests.push(request);
    if (req.method !== 'POST' || request.url.split('?')[0] !== '/v1/responses' || !Array.isArray(request.body?.input)) {
      sendJson(res, 404, apiError('not served by the fake API'));
      return;
    }
    const input = request.body.input;
    answer(res, scripts.for(lastUserText(input))[callsSinceLastUserMessage(input)] ?? { text: 'done' });
  }

  const server = await serveOnLoopback(handle, apiError);
  return {
    url: `${server.url}/v1`,
    requests,
    script: (turns, promptIncludes) => scripts.add(turns, promptIncludes === undefined ? undefined : (prompt) => prompt.includes(promptIncludes)),
    requestsFor: (text) => requests.filter((request) => lastUserText(request.body?.input ?? []).includes(text)),
    close: server.close,
  };
}

function apiError(message: string) {
  return { error: { message } };
}

/** The text of every user and developer message, in order: what the model was told. */
export function instructionsText(input: InputItem[]): string {
  return input
    .filter((item) => item.type === 'message' && (item.role === 'user' || item.role === 'developer'))
    .flatMap((item) => (item.content ?? []).map((part) => part.text ?? ''))
    .join('\n');
}

function lastUserIndex(input: InputItem[]): number {
  for (let index = input.length - 1; index >= 0; index--) {
    if (input[index]!.type === 'message' && input[index]!.role === 'user') return index;
  }
  return -1;
}

function lastUserText(input: InputItem[]): string {
  const item = input[lastUserIndex(input)];
  return (item?.content ?? []).map((part) => part.text ?? '').join('\n');
}

function callsSinceLastUserMessage(input: InputItem[]): number {
  return input.slice(lastUserIndex(input) + 1).filter((item) => CALLS.has(item.type)).length;
}

function answer(res: ServerResponse, turn: ResponsesTurn): void {
  const responseId = randomId('resp_');
  const callId = randomId('call_');
  const item =
    'text' in turn
      ? { type: 'message', role: 'assistant', id: randomId('msg_'), content: [{ type: 'output_text', text: turn.text }] }
      : 'patch' in turn
        ? { type: 'custom_tool_call', id: randomId('ctc_'), call_id: callId, name: 'apply_patch', input: turn.patch, status: 'completed' }
        : { type: 'function_call', id: randomId('fc_'), call_id: callId, name: 'exec_command', arguments: JSON.stringify({ cmd: turn.exec }) };
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const event = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event('response.created', { response: { id: responseId } });
  event('response.output_item.done', { item });
  const usage = { input_tokens: 100, input_tokens_details: null, output_tokens: 20, output_tokens_details: null, total_tokens: 120 };
  event('response.completed', { response: { id: responseId, usage } });
  res.end();
}


function randomId(prefix: string): string {
  return prefix + randomBytes(12).toString('hex');
}
