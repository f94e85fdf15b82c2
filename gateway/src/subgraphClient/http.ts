import { Pool } from 'undici';
import { REQUEST_ID_HEADER } from '@car-check/service-kit';
import type { GraphQLBody, Send, SubgraphClient, SubgraphTarget } from './fetch';

/**
 * The plain call under every layer: one POST over the subgraph's keep-alive
 * connection pool, read as raw text (no web streams), stopped at the fetch's
 * deadline or when its signal aborts. Never throws: says how it ended.
 */
export function httpCall(subgraph: SubgraphTarget): SubgraphClient {
  const pool = new Pool(subgraph.url.origin, { connections: 256, keepAliveTimeout: 30_000 });
  const path = `${subgraph.url.pathname}${subgraph.url.search}`;
  const send: Send = async (fetch) => {
    const { context } = fetch;
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        abort.abort();
      },
      Math.max(0, fetch.deadlineAt - Date.now()),
    );
    const cancelWith = fetch.signal;
    const onCancel = () => abort.abort();
    cancelWith?.addEventListener('abort', onCancel, { once: true });
    try {
      const response = await pool.request({
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(context ? { [REQUEST_ID_HEADER]: context.requestId } : {}),
          ...fetch.headers,
        },
        body: fetch.body,
        signal: abort.signal,
      });
      return { kind: 'answered', status: response.statusCode, graphql: graphqlBody(await response.body.text()) };
    } catch {
      if (timedOut || (context !== undefined && context.deadline <= Date.now())) return { kind: 'timed-out' };
      if (cancelWith?.aborted) return { kind: 'cancelled' };
      return { kind: 'unreachable' };
    } finally {
      clearTimeout(timer);
      cancelWith?.removeEventListener('abort', onCancel);
    }
  };
  return { send, close: () => pool.close() };
}

/** The response as GraphQL, or null when it is not GraphQL (proxy error page, crash, ...). */
function graphqlBody(text: string): GraphQLBody | null {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && ('data' in body || 'errors' in body)) return body as GraphQLBody;
  } catch {
    // Not JSON: treated like an unreachable subgraph.
  }
  return null;
}
