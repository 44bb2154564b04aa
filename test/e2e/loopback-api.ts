/**
 * What the stand-in model APIs (fake-messages-api.ts, fake-responses-api.ts, fake-gemini-api.ts) share: their HTTP
 * server on 127.0.0.1, the book of scripts that answer requests, and reading and writing JSON bodies.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** What the handler threw; each was answered with a 400. */
  errors: unknown[];
  close(): Promise<void>;
}

/**
 * Serves `handle` on 127.0.0.1 (a random port). A fault in it (a throwing scripted turn) is answered with a 400
 * whose body `errorBody` makes in the API's own shape, not a 5xx: the CLIs retry 5xx with backoff, which would
 * stall a test, and end their run on a 400.
 */
export async function serveOnLoopback(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  errorBody: (message: string) => unknown,
): Promise<LoopbackServer> {
  const errors: unknown[] = [];
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      errors.push(error);
      if (!res.headersSent) sendJson(res, 400, errorBody(`fake API: ${String(error)}`));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    errors,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A default script, and scripts for the requests each matches: the newest that matches a request answers it. */
export class ScriptBook<Turn, Request> {
  private fallback: Turn[] = [];
  private readonly scripts: { turns: Turn[]; matches: (request: Request) => boolean }[] = [];

  /** Sets the default script (no `matches`), or adds one for the requests `matches` takes. */
  add(turns: Turn[], matches?: (request: Request) => boolean): void {
    if (matches === undefined) this.fallback = turns;
    else this.scripts.push({ turns, matches });
  }

  for(request: Request): Turn[] {
    return [...this.scripts].reverse().find((script) => script.matches(request))?.turns ?? this.fallback;
  }
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A request's JSON body, when it is an object (the stand-in APIs take its shape on trust: a test drives them). */
export function parseBody<Body>(raw: string): Body | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === 'object' ? (value as Body) : undefined;
  } catch {
    return undefined;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
