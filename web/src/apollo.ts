import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { Defer20220824Handler } from '@apollo/client/incremental';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { Kind, type DocumentNode } from 'graphql';
import { catchError, tap, throwError } from 'rxjs';
import { persistedOperationIds } from './__generated__/persisted-operations';
import { GRAPHQL_URL, PERSISTED_ONLY } from './config';
import { annotateError } from './lib/apolloIssues';
import { currentSession, endSession } from './session';

/**
 * A request id per operation, sent as `x-request-id`: the gateway logs and audits it as
 * `clientRequestId` beside its own id (the one errors quote and the response header gives),
 * so an issue shown here can be found in the logs by either.
 */
export function newRequestId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function operationName(document: DocumentNode): string | undefined {
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) return definition.name?.value;
  }
  return undefined;
}

/**
 * Adds the request id and the bearer token; ends the session when the gateway
 * refuses the token (HTTP 401: expired, revoked, the user deactivated).
 */
const identify = new ApolloLink((operation, forward) => {
  const requestId = newRequestId();
  const token = currentSession()?.token;
  operation.setContext(({ headers = {} }: { headers?: Record<string, string> }) => ({
    headers: { ...headers, 'x-request-id': requestId, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  }));
  const refusedToken = () => {
    const status = (operation.getContext() as { response?: Response }).response?.status;
    if (token && status === 401 && currentSession()?.token === token) {
      endSession('Your session has ended (expired, revoked or signed out elsewhere); sign in again.');
    }
  };
  return forward(operation).pipe(
    tap(refusedToken),
    catchError((error: unknown) => {
      refusedToken();
      annotateError(error, requestId);
      return throwError(() => error);
    }),
  );
});

/**
 * Trusted documents (VITE_PERSISTED_ONLY=true): each operation is sent as
 * `extensions.persistedQuery.sha256Hash` with the id codegen gave its document
 * (web/persisted-documents.json), never as text, and never retried with text.
 */
const persistedOnly = new PersistedQueryLink({
  generateHash: (document) => {
    const name = operationName(document);
    const id = name ? persistedOperationIds[name] : undefined;
    if (!id)
      throw new Error(
        `Operation ${name ?? '(anonymous)'} is not in the persisted documents manifest; run npm run generate -w web.`,
      );
    return id;
  },
  retry: () => false,
  disable: () => false,
});

/**
 * An operation may ask, in its context's `fetchOptions`, to hear when the gateway's response arrives
 * (its status and headers, before the body). A subscription needs it: its multipart body stays
 * silent until the first change, so only the response says that its stream is open.
 */
export interface ResponseListener {
  onResponse?: (response: Response) => void;
}

const fetchTellingResponse: typeof fetch = async (input, init) => {
  const { onResponse, ...request } = (init ?? {}) as RequestInit & ResponseListener;
  const response = await fetch(input, request);
  onResponse?.(response);
  return response;
};

export function createClient(): ApolloClient {
  return new ApolloClient({
    link: ApolloLink.from([
      identify,
      ...(PERSISTED_ONLY ? [persistedOnly] : []),
      // HttpLink speaks subscriptions too (multipart/mixed;subscriptionSpec="1.0"): useCarChanges.ts.
      new HttpLink({ uri: GRAPHQL_URL, fetch: fetchTellingResponse }),
    ]),
    cache: new InMemoryCache(),
    // @defer (docs/defer.md): for an operation with @defer, the handler makes the HttpLink accept
    // `multipart/mixed;deferSpec=20220824` (the gateway's format, Apollo Router's), and merges the parts
    // as they arrive. A query is `dataState: 'streaming'` until its last part.
    incrementalHandler: new Defer20220824Handler(),
  });
}
