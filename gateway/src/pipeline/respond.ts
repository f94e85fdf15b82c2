import type { HTTPGraphQLResponse } from '@apollo/server';
import type { ServerResponse } from 'node:http';
import { errorExtensions, MEDIA_TYPES, responseContentType } from '@car-check/service-kit';
import type { SharedAnswer } from './inflightQueries';
import { Refusal } from './refusal';

/**
 * Writes a refusal: its status and headers, and coded errors that carry the
 * request and trace ids. A refusal has no `data`, so it is never a 2xx and is
 * application/graphql-response+json whatever the client accepts (the draft's
 * "Body": only 2xx answers are relabelled application/json for legacy clients).
 */
export function writeRefusal(res: ServerResponse, refusal: Refusal, requestId: string, traceId?: string): void {
  if (res.headersSent) return void res.destroy();
  res.statusCode = refusal.status;
  for (const [name, value] of Object.entries(refusal.headers)) res.setHeader(name, value);
  res.setHeader('content-type', responseContentType(refusal.status, MEDIA_TYPES.graphqlResponse));
  res.end(JSON.stringify(refusal.body(requestId, traceId)));
}

/**
 * Writes Apollo Server's answer. Errors raised inside its pipeline already
 * carry the request and trace ids (errorReportingPlugin); the few it raises
 * before (an `accept` header it cannot satisfy) are stamped here, so no error
 * leaves the gateway without them.
 */
export async function writeApolloResponse(
  res: ServerResponse,
  response: HTTPGraphQLResponse,
  requestId: string,
  traceId?: string,
): Promise<void> {
  const status = response.status ?? 200;
  res.statusCode = status;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  if (response.body.kind === 'complete') {
    res.end(status >= 400 ? withRequestId(response.body.string, requestId, traceId) : response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/**
 * The body with every error stamped with this request's id and trace id (an
 * error without a code gets INVALID_ARGUMENT: formatError codes them all, and
 * a client error is the only kind Apollo raises before its pipeline).
 * Unchanged if not JSON.
 */
function withRequestId(body: string, requestId: string, traceId: string | undefined): string {
  let parsed: { errors?: { extensions?: Record<string, unknown> }[] };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return body;
  }
  if (!Array.isArray(parsed.errors)) return body;
  const { code, grpcStatus, ...ids } = errorExtensions('INVALID_ARGUMENT', requestId, traceId);
  parsed.errors = parsed.errors.map((error) => ({
    ...error,
    extensions: { code, grpcStatus, ...error.extensions, ...ids },
  }));
  return `${JSON.stringify(parsed)}${body.endsWith('\n') ? '\n' : ''}`;
}

/**
 * Writes an answer shared with an identical request (inbound deduplication):
 * the same bytes, except that any error carries this request's own ids.
 */
export function writeSharedAnswer(
  res: ServerResponse,
  answer: SharedAnswer,
  requestId: string,
  traceId?: string,
): void {
  res.statusCode = answer.status;
  for (const [name, value] of answer.headers) res.setHeader(name, value);
  res.end(answer.outcome === 'OK' ? answer.bytes : withRequestId(answer.body, requestId, traceId));
}

/** A refusal for an error no stage expected: masked, never a stack trace. */
export function internalRefusal(): Refusal {
  return new Refusal(500, 'INTERNAL', 'Internal error. Quote the request id when reporting it.');
}
