/** The fake Messages API on its own (no CLI): wire format, turn choice, odd requests. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeMessagesApi, type ApiMessage, type FakeMessagesApi, type ToolResult } from './fake-messages-api.js';

let api: FakeMessagesApi;
beforeAll(async () => {
  api = await startFakeMessagesApi();
});
afterAll(async () => {
  await api?.close();
});

const TOOLS = [{ name: 'Write' }];
const prompt = (text: string): ApiMessage => ({ role: 'user', content: [{ type: 'text', text }] });
const toolUse = (id: string): ApiMessage => ({ role: 'assistant', content: [{ type: 'tool_use', id, name: 'Write', input: {} }] });
const toolResult = (id: string, text: string, after: string[] = []): ApiMessage => ({
  role: 'user',
  content: [{ type: 'tool_result', tool_use_id: id, content: text, is_error: true }, ...after.map((t) => ({ type: 'text', text: t }))],
});

function post(path: string, body: unknown, sessionId = 'sess-1'): Promise<Response> {
  return fetch(api.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-claude-code-session-id': sessionId },
    body: JSON.stringify(body),
  });
}

/** Sends a streaming request and returns the SSE events as `[event, data]`. */
async function stream(messages: ApiMessage[], sessionId?: string, tools: unknown[] = TOOLS): Promise<[string, Record<string, any>][]> {
  const res = await post('/v1/messages?beta=true', { model: 'm', stream: true, tools, messages }, sessionId);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  return (await res.text())
    .split('\n\n')
    .filter(Boolean)
    .map((chunk) => {
      const [event, data] = chunk.split('\n');
      return [event!.replace('event: ', ''), JSON.parse(data!.replace('data: ', '')) as Record<string, any>];
    });
}

/** The text of the first text_delta of a stream. */
function textOf(events: [string, Record<string, any>][]): string {
  return events.find(([e, d]) => e === 'content_block_delta' && d.delta.type === 'text_delta')![1].delta.text;
}

describe('fake Messages API', () => {
  it('streams a scripted turn as server-sent events', async () => {
    api.script([{ text: 'hi', tools: [{ name: 'Write', input: { file_path: '/x', content: 'y' }, id: 'toolu_1' }] }]);
    const events = await stream([prompt('go')]);
    expect(events.map(([e]) => e)).toEqual([
      'message_start',
      'content_block_start', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_stop',
      'message_delta', 'message_stop',
    ]);
    expect(events.every(([e, d]) => d.type === e)).toBe(true);
    expect(events[2]![1].delta).toEqual({ type: 'text_delta', text: 'hi' });
    expect(events[4]![1].content_block).toMatchObject({ type: 'tool_use', id: 'toolu_1', name: 'Write' });
    expect(JSON.parse(events[5]![1].delta.partial_json)).toEqual({ file_path: '/x', content: 'y' });
    expect(events[7]![1]).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 20 } });
  });

  it('picks the turn by the assistant messages since the last prompt, accepting role:system messages', async () => {
    let seen: { index: number; toolResults: ToolResult[] } | undefined;
    api.script([
      { text: 'first' },
      (context) => {
        seen = { index: context.index, toolResults: context.toolResults };
        return { text: 'second' };
      },
    ]);
    const system: ApiMessage = { role: 'system', content: 'context' };
    const messages = [prompt('go'), system, toolUse('t1'), toolResult('t1', 'failed', ['skill body'])];
    const events = await stream(messages);
    expect(events.find(([e]) => e === 'message_delta')![1].delta.stop_reason).toBe('end_turn');
    expect(seen).toEqual({ index: 1, toolResults: [{ toolUseId: 't1', isError: true, text: 'failed', followingText: ['skill body'] }] });
    // A later prompt (e.g. after --resume) starts the script again; past its end the answer is 'done'.
    expect(textOf(await stream([...messages, { role: 'assistant', content: 'x' }, prompt('again')]))).toBe('first');
    expect(textOf(await stream([...messages, { role: 'assistant', content: 'x' }, toolUse('t2'), toolResult('t2', 'ok')]))).toBe('done');
    // Requests without tools (side requests) never get the script.
    expect(textOf(await stream([prompt('title?')], undefined, []))).toBe('done');
  });

  it('chooses scripts by session id or prompt text, newest first, else the default', async () => {
    api.script([{ text: 'default' }]);
    api.script([{ text: 'by prompt' }], { promptIncludes: 'marker-1' });
    api.script([{ text: 'by session' }], { sessionId: 'sess-9' });
    expect(textOf(await stream([prompt('plain')], 'sess-2'))).toBe('default');
    expect(textOf(await stream([prompt('with marker-1')], 'sess-2'))).toBe('by prompt');
    expect(textOf(await stream([prompt('with marker-1')], 'sess-9'))).toBe('by session');
    expect(api.messageRequests('sess-9')).toHaveLength(1);
    expect(api.requests.at(-1)).toMatchObject({ method: 'POST', url: '/v1/messages?beta=true', sessionId: 'sess-9' });
  });

  it('answers a non-streaming request with a JSON message', async () => {
    api.script([{ text: 'plain json' }]);
    const res = await post('/v1/messages', { model: 'm', tools: TOOLS, messages: [prompt('go')] });
    expect(await res.json()).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'plain json' }], stop_reason: 'end_turn' });
  });

  it('answers other requests at once with small JSON, and a failing turn with a 400', async () => {
    expect(await (await post('/v1/messages/count_tokens', { messages: [] })).json()).toEqual({ input_tokens: expect.any(Number) });
    expect((await fetch(api.url + '/', { method: 'HEAD' })).status).toBe(200);
    const missing = await fetch(api.url + '/v1/models');
    expect([missing.status, ((await missing.json()) as { type: string }).type]).toEqual([404, 'error']);
    expect((await post('/v1/messages', { nope: true })).status).toBe(400);

    api.script([
      () => {
        throw new Error('boom');
      },
    ]);
    const failed = await post('/v1/messages', { stream: true, tools: TOOLS, messages: [prompt('go')] });
    expect(failed.status).toBe(400);
    expect(JSON.stringify(await failed.json())).toContain('boom');
    expect(api.errors.map(String)).toEqual(['Error: boom']);
  });
});
