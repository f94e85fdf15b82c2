import http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** Milliseconds from sending to the last byte. */
  elapsedMs: number;
}

export interface RawRequest {
  method?: string;
  /** Path and query, e.g. `/graphql?query=...`. */
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /**
   * Source address on the loopback network (127.0.0.2, 127.0.0.3, ...): each
   * is a different client to the gateway's per-address rate limit.
   */
  localAddress?: string;
  timeoutMs?: number;
}

/**
 * Sends one HTTP request exactly as given (any method, header, encoding or
 * body bytes, from a chosen loopback address), the way a hostile client
 * would; `fetch` would normalise some of these away.
 */
export function sendRaw(baseUrl: string, request: RawRequest = {}): Promise<RawResponse> {
  const url = new URL(request.path ?? '/graphql', baseUrl);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let responded = false;
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: request.method ?? 'POST',
        headers: request.headers ?? {},
        localAddress: request.localAddress,
        agent: false,
        timeout: request.timeoutMs ?? 30_000,
      },
      (res) => {
        responded = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json,
            elapsedMs: performance.now() - started,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${request.timeoutMs ?? 30_000} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The gateway may answer (413) and close before the whole body is sent.
      if ((error.code === 'EPIPE' || error.code === 'ECONNRESET') && !responded) {
        setTimeout(() => responded || reject(error), 5_000).unref();
        return;
      }
      if (!responded) reject(error);
    });
    if (request.body !== undefined) req.end(request.body);
    else req.end();
  });
}

// Started at random so that runs close together do not share a client in state that outlives them (Redis).
let nextAddress = 2 + Math.floor(Math.random() * 50_000);
/** A loopback address no other test has used in this process: a fresh client for the rate limiter. */
export function freshClientAddress(): string {
  const n = nextAddress++;
  return `127.0.${Math.floor(n / 250) + 1}.${(n % 250) + 2}`;
}

/** Headers that differ between any two answers (ids, time), and so are not compared. */
const PER_ANSWER = new Set(['x-request-id', 'date', 'traceparent']);

/**
 * An answer with what is unique to it (request and trace ids, date) blanked: two gateways'
 * answers to the same request compare equal when a client could not tell them apart.
 */
export function comparableAnswer(response: RawResponse) {
  const ids = [response.headers['x-request-id']].filter((id): id is string => typeof id === 'string');
  let body = response.text;
  for (const id of ids) body = body.split(id).join('<request id>');
  body = body.replace(/"traceId":"[0-9a-f]{32}"/g, '"traceId":"<trace id>"');
  const headers = Object.fromEntries(Object.entries(response.headers).filter(([name]) => !PER_ANSWER.has(name)));
  return { status: response.status, headers, body };
}
