import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import { DEFAULT_SHUTDOWN_GRACE_MS } from '../config/env';
import { tracingStatus } from '../tracing/provider';
import { fastRoute, fastRouteOf } from './fastRoute';
import { HALF_CLOSED_PROBE_MS } from './halfClose';
import { errorBody } from './graphqlHttp';
import { REQUEST_ID_HEADER } from './requestId';

export interface RunningServer {
  readonly server: http.Server;
  /** Base URL, e.g. `http://127.0.0.1:4001`; the real port when 0 was asked for. */
  readonly url: string;
  /**
   * Drains, then closes: from the call on, every new request is refused at once
   * (503 UNAVAILABLE, `Retry-After`, `Connection: close`; `/ready` says not
   * ready), requests in flight finish and are answered with `Connection: close`,
   * and once none is left the server stops listening. Resolves when it has;
   * connections still busy after `graceMs` are cut.
   */
  close(graceMs?: number): Promise<void>;
}

/** Binds `app` to host:port (0 = any free port) and resolves once it listens. */
export async function listen(app: Express, host: string, port: number): Promise<RunningServer> {
  const fast = fastRouteOf(app);
  const drain = new Drain(app, fast && fastRoute(app, fast));
  const server = http.createServer((req, res) => drain.serve(req, res));
  // A client may half-close its socket (FIN) once its request is sent; Node would then abort the
  // request and never answer, though its work (a write) goes on. Keep the socket open for the answer;
  // Node ends it after that last response. (An http.Server property that @types/node does not declare.)
  Object.assign(server, { httpAllowHalfOpen: true });
  server.on('clientError', answerMalformedHttp);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    server,
    url: `http://${hostForUrl}:${address.port}`,
    close: (graceMs = DEFAULT_SHUTDOWN_GRACE_MS) => {
      closing ??= drain.start(graceMs).then(
        () =>
          new Promise<void>((resolve, reject) => {
            server.close((err) => (err ? reject(err) : resolve()));
            // Whatever is left is idle keep-alive, or past the grace period.
            server.closeAllConnections();
          }),
      );
      return closing;
    },
  };
}

/** How long a refused client is told to wait before retrying (another instance usually answers at once). */
const DRAIN_RETRY_AFTER_SECONDS = 1;

/**
 * Graceful shutdown of one HTTP server. Before it starts, requests go to the
 * app. Once it has (SIGTERM), a new request is refused at once with a
 * well-formed 503 UNAVAILABLE, so that a load balancer or client moves on
 * instead of queuing behind a process about to exit; `/health` and `/ready`
 * still reach the app, which reports not ready (see `isDraining`). Requests
 * in flight finish; each answer closes its keep-alive connection, so that the
 * client's next request opens a connection elsewhere.
 */
class Drain {
  private readonly inFlight = new Set<http.ServerResponse>();
  private draining = false;
  private idle?: () => void;

  constructor(
    private readonly app: Express,
    /** The path served without Express's router (fastRoute.ts), when there is one. */
    private readonly fast?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean,
  ) {}

  serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.draining && !isProbe(req.url)) return refuseWhileDraining(req, res);
    this.inFlight.add(res);
    watchHalfClose(req.socket, res);
    if (this.draining) res.setHeader('connection', 'close');
    res.once('close', () => {
      this.inFlight.delete(res);
      if (this.draining && this.inFlight.size === 0) this.idle?.();
    });
    if (!this.fast?.(req, res)) this.app(req, res);
  }

  /** Refuses from now on; resolves once no request is in flight, or after `graceMs`. */
  start(graceMs: number): Promise<void> {
    this.draining = true;
    this.app.set(DRAINING_SETTING, true);
    for (const res of this.inFlight) {
      // Not yet answered: the answer itself says the connection closes after it.
      if (!res.headersSent) res.setHeader('connection', 'close');
      // Already answering under keep-alive: the connection is closed once the answer is out.
      else res.once('finish', () => res.socket?.end());
    }
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const deadline = setTimeout(resolve, graceMs);
      deadline.unref();
      this.idle = () => {
        clearTimeout(deadline);
        resolve();
      };
    });
  }
}

/**
 * A client's FIN means either "I have sent everything" (a half-close: it still
 * reads) or "I am gone" (it closed the socket); TCP tells them apart only when
 * the server writes. So while the answer is not ready, write an interim
 * `102 Processing` (HTTP clients skip 1xx answers) now and then: to a client that
 * is gone, the write fails, the connection closes and the request's work is
 * cancelled as for any hang-up; a half-closed client gets its answer.
 */
function watchHalfClose(socket: Socket, res: http.ServerResponse): void {
  const onEnd = () => {
    const check = () => {
      if (res.headersSent || !socket.writable) return void clearInterval(probe);
      res.writeProcessing();
    };
    const probe = setInterval(check, HALF_CLOSED_PROBE_MS);
    check();
    probe.unref();
    res.once('close', () => clearInterval(probe));
  };
  socket.once('end', onEnd);
  res.once('close', () => socket.off('end', onEnd));
}

/** The Express setting `listen` turns on when its server starts draining. */
const DRAINING_SETTING = 'car-check draining';

/** Whether the server running `app` is draining (shutting down): `/ready` then answers 503. */
export function isDraining(app: Express): boolean {
  return app.get(DRAINING_SETTING) === true;
}

// Orchestrators keep probing while a process drains: /health (alive) and /ready (not ready) answer as usual.
function isProbe(url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0];
  return path === '/health' || path === '/ready';
}

function refuseWhileDraining(req: http.IncomingMessage, res: http.ServerResponse): void {
  const requestId = randomUUID();
  const body = JSON.stringify(
    errorBody('UNAVAILABLE', 'This instance is shutting down; retry (another instance answers).', {}, requestId),
  );
  res.writeHead(503, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'retry-after': String(DRAIN_RETRY_AFTER_SECONDS),
    [REQUEST_ID_HEADER]: requestId,
    connection: 'close',
  });
  res.end(body);
  // The request body, if any, is not read: drop it rather than hold the connection for it.
  req.resume();
}

/**
 * Node answers HTTP it cannot parse (a request line and headers over 16 KB, a
 * broken request line), or that does not arrive in time, itself, with a bare
 * status line. This answers as every other refusal does: a coded GraphQL error
 * with a request id, then closes the connection (see malformedHttpAnswer).
 */
function answerMalformedHttp(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const [status, reason, code, message] = malformedHttpAnswer(error);
  const requestId = randomUUID();
  // Its headers were never read, so it continues no trace: like its request id, its trace id is new.
  const traceId = tracingStatus().enabled ? randomBytes(16).toString('hex') : undefined;
  const body = JSON.stringify(errorBody(code, message, {}, requestId, traceId));
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** A parse error of node's HTTP parser: the packet it was reading and how far it got. */
interface HttpParseError extends NodeJS.ErrnoException {
  rawPacket?: Buffer;
  bytesParsed?: number;
}

/**
 * The status line and error for HTTP node could not parse. The parser counts
 * the URI toward its header limit; no line break before the point where it
 * stopped means it stopped in the request line, i.e. in the URI. (A single
 * header value longer than one network read is the one case this takes for a
 * long URI.)
 */
export function malformedHttpAnswer(
  error: HttpParseError,
): [number, string, 'RESOURCE_EXHAUSTED' | 'INVALID_ARGUMENT' | 'DEADLINE_EXCEEDED', string] {
  // node's requestTimeout: the request did not arrive in time.
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return [408, 'Request Timeout', 'DEADLINE_EXCEEDED', 'The request did not arrive in time.'];
  if (error.code !== 'HPE_HEADER_OVERFLOW')
    return [400, 'Bad Request', 'INVALID_ARGUMENT', 'The request is not well-formed HTTP.'];
  const read = error.rawPacket?.subarray(0, error.bytesParsed ?? error.rawPacket.length);
  if (read && !read.includes(0x0a))
    return [414, 'URI Too Long', 'RESOURCE_EXHAUSTED', 'The request URI is too long; send the operation with POST.'];
  return [431, 'Request Header Fields Too Large', 'RESOURCE_EXHAUSTED', 'The request headers are too large.'];
}
