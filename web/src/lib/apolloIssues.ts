import { CombinedGraphQLErrors, CombinedProtocolErrors, ServerError, ServerParseError } from '@apollo/client/errors';
import { issuesFromErrors, type Issue, type WireError } from './issues';

/** The `x-request-id` the console sent with a request that failed without an answer (set by apollo.ts). */
export const CLIENT_REQUEST_ID = Symbol('clientRequestId');

type Annotated = { [CLIENT_REQUEST_ID]?: string };

export function clientRequestIdOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as Annotated)[CLIENT_REQUEST_ID] : undefined;
}

/** Records which request an error belongs to, on errors that carry no answer of the gateway. */
export function annotateError(error: unknown, requestId: string): void {
  if (typeof error !== 'object' || error === null || Object.isFrozen(error)) return;
  try {
    (error as Annotated)[CLIENT_REQUEST_ID] = requestId;
  } catch {
    // a non-extensible error: the id is lost, the error is not
  }
}

function errorsInBody(bodyText: string): WireError[] | undefined {
  try {
    const body = JSON.parse(bodyText) as { errors?: unknown };
    return Array.isArray(body.errors) ? (body.errors as WireError[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every error Apollo Client can hand the console, as issues: GraphQL errors (and
 * the errors that end a subscription) as they are; an HTTP refusal (401, 429, 503, ...) from the GraphQL body the gateway
 * sends with it; a request nothing answered as `NETWORK`. Each keeps a request id:
 * the gateway's, else the one the request was sent with.
 */
export function issuesFromError(error: unknown): Issue[] {
  if (!error) return [];
  const sentId = clientRequestIdOf(error);
  if (CombinedGraphQLErrors.is(error)) return issuesFromErrors(error.errors, sentId);
  // A subscription's stream ended by the gateway (multipart's final `{"payload": null, "errors": [...]}`).
  if (CombinedProtocolErrors.is(error)) return issuesFromErrors(error.errors, sentId);
  if (ServerError.is(error)) {
    const headerId = error.response?.headers.get('x-request-id') ?? sentId;
    const errors = errorsInBody(error.bodyText);
    if (errors?.length) return issuesFromErrors(errors, headerId);
    return [
      {
        code: error.statusCode >= 500 ? 'UNAVAILABLE' : 'UNKNOWN',
        message: `The gateway answered HTTP ${error.statusCode}.`,
        requestId: headerId,
      },
    ];
  }
  if (ServerParseError.is(error)) {
    return [
      { code: 'UNKNOWN', message: 'The gateway answered with something that is not GraphQL.', requestId: sentId },
    ];
  }
  const message = error instanceof Error ? error.message : String(error);
  return [{ code: 'NETWORK', message: `The gateway could not be reached (${message}).`, requestId: sentId }];
}
