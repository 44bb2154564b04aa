/**
 * A small stand-in for the Gemini API (generativelanguage `v1beta`), for driving the real Gemini CLI in tests.
 *
 * Listens on 127.0.0.1 (random port) and answers `POST /v1beta/models/<model>:streamGenerateContent?alt=sse` with
 * server-sent events, `:generateContent` with one JSON response and `:countTokens` with a rough count. Every
 * request is recorded (method, path, headers, parsed JSON body) for assertions.
 *
 * Which turn answers a request: the number of `model` contents after the last user content that is a prompt (one
 * without functionResponse parts), so each `gemini -p` run starts again at turn 0 of its script. Past the end of a
 * script the answer is `{ text: 'done' }`. Requests without tools (the model router's JSON choice, a summary)
 * get `sideAnswer`: JSON naming the model when the request asks for JSON, else 'done'.
 *
 * Which script answers a request: the newest one added with `script(turns, when)` whose `when` matches (a piece
 * of the latest prompt, so a resumed session's new prompt picks its own script; or a predicate), else the default
 * `script(turns)`.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { parseBody, readBody, ScriptBook, sendJson, serveOnLoopback } from './loopback-api.js';

export interface FunctionCall {
  name: string;
  args: Record<string, unknown>;
}

/** One model message: optional text first, then the function calls. */
export interface Turn {
  text?: string;
  calls?: FunctionCall[];
}

export interface FunctionResponse {
  name: string;
  /** As sent: `{output: …}` or `{error: …}` for the CLI's tools. */
  response: Record<string, unknown>;
}

export interface TurnContext {
  request: RecordedRequest;
  /** 0 for the first answer to a prompt, 1 after the first function responses, … */
  index: number;
  responses: FunctionResponse[];
}

export type ScriptedTurn = Turn | ((context: TurnContext) => Turn);

export interface Part {
  text?: string;
  thought?: boolean;
  functionCall?: { name: string; args?: unknown; id?: string };
  functionResponse?: { name: string; response?: Record<string, unknown>; id?: string };
  [key: string]: unknown;
}

export interface Content {
  role?: string;
  parts?: Part[];
}

/** The parts of a generateContent request the tests look at; everything else is kept as sent. */
export interface GenerateContentBody {
  contents?: Content[];
  systemInstruction?: Content | string;
  tools?: { functionDeclarations?: { name: string }[] }[];
  generationConfig?: { responseMimeType?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  /** Path with query, e.g. `/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse`. */
  url: string;
  headers: IncomingHttpHeaders;
  body: GenerateContentBody | undefined;
  /** `streamGenerateContent`, `generateContent`, `countTokens`, … (the part after the colon). */
  method_name: string | undefined;
}

export type ScriptMatch = { promptIncludes: string } | ((request: RecordedRequest) => boolean);

export interface FakeGeminiApi {
  /** `http://127.0.0.1:<port>`, for `GOOGLE_GEMINI_BASE_URL`. */
  url: string;
  requests: RecordedRequest[];
  /** What scripted turn functions (or the server) threw; each was answered with a 400. */
  errors: unknown[];
  script(turns: ScriptedTurn[], when?: ScriptMatch): void;
  /** The requests that carry tools: the agent's own turns, in order. */
  agentRequests(): RecordedRequest[];
  close(): Promise<void>;
}

const DEFAULT_TURN: Turn = { text: 'done' };

export async function startFakeGeminiApi(): Promise<FakeGeminiApi> {
  const requests: RecordedRequest[] = [];
  const scripts = new ScriptBook<ScriptedTurn, RecordedRequest>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      url,
      headers: req.headers,
      body: parseBody<GenerateContentBody>(raw),
      method_name: /:([A-Za-z]+)$/.exec(path)?.[1],
    };
    requests.push(request);
    const model = /\/models\/([^:/]+):/.exec(path)?.[1] ?? 'gemini-fake';
    if (request.method !== 'POST' || !path.startsWith('/v1beta/models/')) {
      sendJson(res, 404, apiError(404, `${request.method} ${path}: not served by the fake API`));
    } else if (request.method_name === 'countTokens') {
      sendJson(res, 200, { totalTokens: Math.ceil(raw.length / 4) });
    } else if (request.method_name === 'generateContent' || request.method_name === 'streamGenerateContent') {
      if (!Array.isArray(request.body?.contents)) {
        sendJson(res, 400, apiError(400, 'contents: expected an array'));
        return;
      }
      const turn = chooseTurn(request, scripts.for(request), model);
      const response = { candidates: [{ content: { role: 'model', parts: parts(turn) }, finishReason: 'STOP', index: 0 }], usageMetadata: USAGE, modelVersion: model };
      if (request.method_name === 'generateContent') {
        sendJson(res, 200, response);
      } else {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.end(`data: ${JSON.stringify(response)}\r\n\r\n`);
      }
    } else {
      sendJson(res, 404, apiError(404, `${path}: not served by the fake API`));
    }
  }

  const server = await serveOnLoopback(handle, (message) => apiError(400, message));
  return {
    ...server,
    requests,
    script: (turns, when) => scripts.add(turns, when && matcher(when)),
    agentRequests() {
      return requests.filter((r) => hasTools(r));
    },
  };
}

const USAGE = { promptTokenCount: 100, candidatesTokenCount: 20, totalTokenCount: 120 };

function hasTools(request: RecordedRequest): boolean {
  return (request.body?.tools ?? []).some((tool) => (tool.functionDeclarations ?? []).length > 0);
}

function matcher(when: ScriptMatch): (request: RecordedRequest) => boolean {
  if (typeof when === 'function') return when;
  return (r) => latestPromptText(r.body?.contents ?? []).includes(when.promptIncludes);
}

function chooseTurn(request: RecordedRequest, turns: ScriptedTurn[], model: string): Turn {
  const contents = request.body?.contents ?? [];
  if (!hasTools(request)) return sideAnswer(request, model);
  const index = turnIndex(contents);
  const scripted = turns[index];
  if (scripted === undefined) return DEFAULT_TURN;
  return typeof scripted === 'function' ? scripted({ request, index, responses: lastFunctionResponses(contents) }) : scripted;
}

/**
 * A request without tools is the CLI's own (the model router asks which model to use, as JSON `{reasoning,
 * model_choice}`; a next-speaker check asks `{reasoning, next_speaker}`): answered so the CLI goes on.
 */
function sideAnswer(request: RecordedRequest, model: string): Turn {
  if (request.body?.generationConfig?.responseMimeType !== 'application/json') return DEFAULT_TURN;
  return { text: JSON.stringify({ reasoning: 'fake API', model_choice: model.includes('flash') ? 'flash' : 'pro', next_speaker: 'user' }) };
}

/** Model contents since the last user prompt (a user content without functionResponse parts). */
function turnIndex(contents: Content[]): number {
  let count = 0;
  for (let i = contents.length - 1; i >= 0; i--) {
    const content = contents[i]!;
    if (content.role === 'model') count++;
    else if (content.role === 'user' && !(content.parts ?? []).some((p) => p.functionResponse)) break;
  }
  return count;
}

export function lastFunctionResponses(contents: Content[]): FunctionResponse[] {
  const last = [...contents].reverse().find((c) => c.role === 'user');
  return (last?.parts ?? []).flatMap((p) => (p.functionResponse ? [{ name: p.functionResponse.name, response: p.functionResponse.response ?? {} }] : []));
}

/** All text parts of a content, joined. */
export function contentText(content: Content | string | undefined): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return (content.parts ?? []).map((p) => p.text ?? '').join('\n');
}

function latestPromptText(contents: Content[]): string {
  return contentText([...contents].reverse().find((c) => c.role === 'user' && !(c.parts ?? []).some((p) => p.functionResponse)));
}

function parts(turn: Turn): Part[] {
  const out: Part[] = [];
  if (turn.text !== undefined) out.push({ text: turn.text });
  for (const call of turn.calls ?? []) out.push({ functionCall: { name: call.name, args: call.args } });
  return out;
}




function apiError(code: number, message: string) {
  return { error: { code, message, status: code === 404 ? 'NOT_FOUND' : 'INVALID_ARGUMENT' } };
}
