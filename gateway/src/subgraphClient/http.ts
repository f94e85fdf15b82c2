import { Pool } from 'undici';
import { REQUEST_ID_HEADER } from '@car-check/service-kit';
import type { GraphQLBody, Send, Sent, SubgraphClient, SubgraphTarget } from './fetch';
import { readEventStream } from './sse';

/**
 * The plain call under every layer: one POST over the subgraph's keep-alive
 * connection pool, read as raw text (no web streams), stopped at the fetch's
 * deadline or when its signal aborts. Never throws: says how it ended.
 * A stream (fetch.stream, a subscription) is answered once its headers have
 * arrived; its events are read until the subgraph ends it, its signal
 * aborts, or it is closed.
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
    let streaming = false;
    try {
      const response = await pool.request({
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: fetch.stream ? 'text/event-stream' : 'application/graphql-response+json, application/json',
          ...(fetch.stream?.lastEventId !== undefined ? { 'last-event-id': fetch.stream.lastEventId } : {}),
          ...(context ? { [REQUEST_ID_HEADER]: context.requestId } : {}),
          ...fetch.headers,
        },
        body: fetch.body,
        signal: abort.signal,
      });
      const contentType = String(response.headers['content-type'] ?? '');
      if (fetch.stream && response.statusCode === 200 && contentType.startsWith('text/event-stream')) {
        streaming = true;
        return streamOf(response.body, abort, () => cancelWith?.removeEventListener('abort', onCancel));
      }
      return { kind: 'answered', status: response.statusCode, graphql: graphqlBody(await response.body.text()) };
    } catch {
      if (timedOut || (context !== undefined && context.deadline <= Date.now())) return { kind: 'timed-out' };
      if (cancelWith?.aborted) return { kind: 'cancelled' };
      return { kind: 'unreachable' };
    } finally {
      clearTimeout(timer);
      // An open stream still stops with the signal; it lets go of it when it ends.
      if (!streaming) cancelWith?.removeEventListener('abort', onCancel);
    }
  };
  return { send, close: () => pool.close() };
}

/** An opened event stream: ends when the body does, or at `close()` / the fetch's signal (both abort the body). */
function streamOf(body: AsyncIterable<Uint8Array>, abort: AbortController, release: () => void): Sent {
  async function* events() {
    try {
      yield* readEventStream(body);
    } catch {
      // Cut (subgraph gone, aborted): the stream ends; its reader decides whether to reopen it.
    } finally {
      release();
      abort.abort();
    }
  }
  return { kind: 'streaming', status: 200, events: events(), close: () => abort.abort() };
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
