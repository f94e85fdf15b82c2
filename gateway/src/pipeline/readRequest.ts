import type { IncomingMessage } from 'node:http';
import {
  GRAPHQL_HTTP_REFUSALS,
  negotiateResponseType,
  requestShapeProblem,
  type ResponseMediaType,
} from '@car-check/service-kit';
import { jsonNesting } from './nesting';
import { invalidRequest, Refusal, tooLarge, unprocessable } from './refusal';
import type { StreamTransport } from './stage';

/** A GraphQL request as it arrived, whatever the transport: the one shape every later stage sees. */
export interface GraphQLParams {
  method: 'GET' | 'POST';
  query?: string;
  operationName?: string;
  variables: Record<string, unknown>;
  extensions: Record<string, unknown>;
}

interface IntakeLimits {
  bodyLimitBytes: number;
  maxNesting: number;
}

// Headers that a browser cannot send cross-site without a preflight (Apollo Server's list).
const PREFLIGHT_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight'];
const SIMPLE_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Reads the GraphQL request from HTTP: POST with a JSON body, or GET with
 * search parameters. Everything that is not a well-formed single request is
 * refused here, before any GraphQL work: other methods (405), other content
 * types, charsets or encodings (415), bodies over the limit (413, without
 * reading them whole), bodies that are not UTF-8 JSON or nest too deeply
 * (400), JSON that is not a GraphQL request, batches included (422), and
 * cross-site GETs that a browser could send without a preflight (400).
 */
export async function readGraphQLRequest(req: IncomingMessage, url: URL, limits: IntakeLimits): Promise<GraphQLParams> {
  if (req.method === 'GET') {
    refuseCrossSiteRequest(req);
    return fromSearchParams(url.searchParams, limits);
  }
  if (req.method !== 'POST') throw refusal(GRAPHQL_HTTP_REFUSALS.method);
  checkContentType(req.headers['content-type']);
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    throw new Refusal(
      415,
      'INVALID_ARGUMENT',
      `Content-Encoding "${encoding.slice(0, 40)}" is not supported; send the body uncompressed.`,
    );
  }
  const text = await readBody(req, limits.bodyLimitBytes);
  return wellFormed('POST', parseJson(text, 'The request body', limits.maxNesting));
}

/** The request's fields, once it is a well-formed GraphQL-over-HTTP request (requestShapeProblem), else 422. */
function wellFormed(method: GraphQLParams['method'], body: unknown): GraphQLParams {
  const problem = requestShapeProblem(body);
  if (problem) throw unprocessable(problem);
  const fields = body as {
    query?: string | null;
    operationName?: string | null;
    variables?: Record<string, unknown> | null;
    extensions?: Record<string, unknown> | null;
  };
  return {
    method,
    query: fields.query ?? undefined,
    operationName: fields.operationName ?? undefined,
    variables: fields.variables ?? {},
    extensions: fields.extensions ?? {},
  };
}

/** A refusal the subgraphs make in the same words (GRAPHQL_HTTP_REFUSALS). */
const refusal = ({ status, message, headers }: (typeof GRAPHQL_HTTP_REFUSALS)[keyof typeof GRAPHQL_HTTP_REFUSALS]) =>
  new Refusal(status, 'INVALID_ARGUMENT', message, {}, { headers: { ...headers } });

/**
 * The media type to answer in, from `Accept` (see negotiateResponseType):
 * a client that accepts neither GraphQL response type is refused with 406
 * before any work, rather than after execution as Apollo Server would.
 */
export function acceptedMediaType(req: IncomingMessage): ResponseMediaType {
  const mediaType = negotiateResponseType(req.headers.accept);
  if (mediaType === null) throw notAcceptable();
  return mediaType;
}

/**
 * The stream a request accepts, for a subscription: Apollo Client's multipart
 * (`multipart/mixed` with `subscriptionSpec`), or graphql-sse's
 * `text/event-stream`; undefined when it accepts neither.
 */
export function acceptedStream(req: IncomingMessage): Exclude<StreamTransport, 'websocket'> | undefined {
  const accepted = (req.headers.accept ?? '').toLowerCase().split(',');
  if (accepted.some((type) => type.trim().startsWith('multipart/mixed') && type.includes('subscriptionspec'))) {
    return 'multipart';
  }
  if (accepted.some((type) => type.trim().startsWith('text/event-stream'))) return 'sse';
  return undefined;
}

/** Whether the request accepts @defer's multipart answer (Apollo Router's `multipart/mixed;deferSpec=20220824`). */
export function acceptsDeferredParts(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '')
    .toLowerCase()
    .split(',')
    .some((type) => type.trim().startsWith('multipart/mixed') && /deferspec\s*=\s*"?20220824/.test(type));
}

/**
 * The media type of plain answers to a request that accepts a stream, if it
 * accepts one: a query that accepts only a stream is refused (406) once it is
 * known not to be a subscription (stages/subscribe.ts).
 */
export function mediaTypeBeside(req: IncomingMessage): ResponseMediaType | undefined {
  return negotiateResponseType(req.headers.accept) ?? undefined;
}

/** 406: the client accepts neither GraphQL response type. */
export function notAcceptable(): Refusal {
  return refusal(GRAPHQL_HTTP_REFUSALS.accept);
}

function checkContentType(header: string | undefined): void {
  const [essence = '', ...parameters] = (header ?? '').split(';').map((part) => part.trim().toLowerCase());
  if (essence !== 'application/json') throw refusal(GRAPHQL_HTTP_REFUSALS.contentType);
  const charset = parameters
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new Refusal(
      415,
      'INVALID_ARGUMENT',
      `Charset "${charset.slice(0, 40)}" is not supported; GraphQL requests are UTF-8.`,
    );
  }
}

/** A GET that a page on another site could make a browser send must carry a header that forces a preflight. */
function refuseCrossSiteRequest(req: IncomingMessage): void {
  const contentType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (contentType && !SIMPLE_CONTENT_TYPES.has(contentType)) return;
  if (PREFLIGHT_HEADERS.some((header) => (req.headers[header]?.length ?? 0) > 0)) return;
  throw invalidRequest(
    'This request has been blocked as a potential cross-site request forgery: send it with a `content-type: application/json` or an `apollo-require-preflight: true` header.',
  );
}

function fromSearchParams(params: URLSearchParams, limits: IntakeLimits): GraphQLParams {
  const once = (name: string): string | undefined => {
    const values = params.getAll(name);
    if (values.length > 1) throw unprocessable(`The \`${name}\` parameter may be given only once.`);
    // The draft's GET: an empty optional parameter is the same as none.
    return values[0] === '' ? undefined : values[0];
  };
  const json = (name: string): unknown => {
    const value = once(name);
    return value === undefined ? undefined : parseJson(value, `The \`${name}\` parameter`, limits.maxNesting);
  };
  return wellFormed('GET', {
    query: once('query'),
    operationName: once('operationName'),
    variables: json('variables'),
    extensions: json('extensions'),
  });
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  const over = () =>
    new Refusal(
      413,
      'RESOURCE_EXHAUSTED',
      `The request body is larger than ${limit} bytes.`,
      { limit },
      { headers: { connection: 'close' } },
    );
  if (declared > limit) throw over();
  const { chunks, size } = await readChunks(req, limit, over);
  try {
    return utf8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
  } catch {
    throw invalidRequest('The request body is not valid UTF-8.');
  }
}

/**
 * The body's chunks, read with the stream's events: what `for await` over the request did (no
 * more read past the limit; an error or a close before the end rejects), without an async
 * iterator and a promise per chunk, which were 4 % of a worker's time under small requests.
 */
function readChunks(
  req: IncomingMessage,
  limit: number,
  over: () => Refusal,
): Promise<{ chunks: Buffer[]; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Already read to its end (nothing does so before intake today): nothing more will come.
    if (req.readableEnded) return resolve({ chunks, size });
    const settle = (error?: Error) => {
      req.off('data', onData).off('end', onEnd).off('error', settle).off('close', onClose);
      if (error) reject(error);
      else resolve({ chunks, size });
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      // Stop reading at the limit: a client cannot make the gateway buffer more.
      // The rest is never read: the refusal closes the connection once written.
      if (size > limit) {
        req.pause();
        settle(over());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => settle();
    const onClose = () => settle(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    req.on('data', onData).on('end', onEnd).on('error', settle).on('close', onClose);
  });
}

function parseJson(text: string, what: string, maxNesting: number): unknown {
  if (jsonNesting(text) > maxNesting)
    throw tooLarge(`${what} nests deeper than ${maxNesting} levels.`, { limit: maxNesting });
  try {
    return JSON.parse(text);
  } catch {
    throw invalidRequest(`${what} is not valid JSON.`);
  }
}

/** `1mb`, `512kb`, `100b` in bytes. */
export function parseByteSize(size: string): number {
  const match = /^(\d+)(b|kb|mb)$/i.exec(size.trim());
  if (!match) throw new Error(`not a byte size: ${size}`);
  const unit = { b: 1, kb: 1024, mb: 1024 * 1024 }[match[2]!.toLowerCase() as 'b' | 'kb' | 'mb'];
  return Number(match[1]) * unit;
}
