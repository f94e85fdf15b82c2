import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import { ConfigError, describeError } from '../config/env';
import { tracingStatus } from '../tracing/provider';
import { exitCodeFor } from './exitCodes';
import { errorBody } from './graphqlHttp';

export interface RunningServer {
  readonly server: http.Server;
  /** Base URL, e.g. `http://127.0.0.1:4001`; the real port when 0 was asked for. */
  readonly url: string;
  /**
   * Stops accepting connections and resolves once in-flight requests have been
   * answered; connections still busy after `graceMs` are cut.
   */
  close(graceMs?: number): Promise<void>;
}

/** How long shutdown waits for in-flight requests by default. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/**
 * Fails fast, before anything slow (opening a database) starts, when the port a
 * service is configured to listen on is taken: one message naming the variable
 * to change. The real bind can still lose a race; this is for the common case of
 * a graph already running.
 */
export async function ensurePortFree(host: string, port: number, variable: string): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    probe.once('error', (failure: NodeJS.ErrnoException) => resolve(failure));
    probe.listen(port, host, () => probe.close(() => resolve(null)));
  });
  if (error?.code === 'EADDRINUSE') {
    throw new ConfigError(`Invalid configuration:\n  ${variable}: port ${port} on ${host} is already in use (is the graph already running?); stop what uses it or set ${variable} to another port`);
  }
  if (error) throw error;
}

/** Binds `app` to host:port (0 = any free port) and resolves once it listens. */
export async function listen(app: Express, host: string, port: number): Promise<RunningServer> {
  const server = http.createServer(app);
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
  return {
    server,
    url: `http://${hostForUrl}:${address.port}`,
    close: (graceMs = DEFAULT_SHUTDOWN_GRACE_MS) =>
      new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
        deadline.unref();
        server.close((err) => {
          clearTimeout(deadline);
          if (err) reject(err);
          else resolve();
        });
        // Keep-alive connections with no request in flight would hold close() open.
        server.closeIdleConnections();
      }),
  };
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
export function malformedHttpAnswer(error: HttpParseError): [number, string, 'RESOURCE_EXHAUSTED' | 'INVALID_ARGUMENT' | 'DEADLINE_EXCEEDED', string] {
  // node's requestTimeout: the request did not arrive in time.
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'Request Timeout', 'DEADLINE_EXCEEDED', 'The request did not arrive in time.'];
  if (error.code !== 'HPE_HEADER_OVERFLOW') return [400, 'Bad Request', 'INVALID_ARGUMENT', 'The request is not well-formed HTTP.'];
  const read = error.rawPacket?.subarray(0, error.bytesParsed ?? error.rawPacket.length);
  if (read && !read.includes(0x0a)) return [414, 'URI Too Long', 'RESOURCE_EXHAUSTED', 'The request URI is too long; send the operation with POST.'];
  return [431, 'Request Header Fields Too Large', 'RESOURCE_EXHAUSTED', 'The request headers are too large.'];
}

/**
 * Runs a service's `main` and turns a start-up failure into one clear log line
 * and a non-zero exit, instead of an unhandled rejection. The exit code says
 * whether a restart may help (see exitCodes.ts): 78 for a configuration error,
 * 65 for a migration history that needs a person, else 1.
 */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const message = describeError(error);
    process.stderr.write(`${name} failed to start: ${message}\n`);
    process.exit(exitCodeFor(error));
  });
}

/** Calls `stop` once on SIGINT/SIGTERM, then exits 0 (or 1 if stopping failed). */
export function onShutdownSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
