/**
 * Reading an owner's event feed over HTTP: one signed `GET /events?after=<cursor>` page at a
 * time, as this service, for the owner (like a peer subgraph call).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { context as otelContext, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { ANONYMOUS, REQUEST_ID_HEADER, signRequest } from '@car-check/service-kit';
import type { CloudEvent } from './cloudEvent';
import { DEFAULT_CONSUMER_SETTINGS } from './consumerSettings';
import { SEQUENCE } from './consumerStore';
import { EVENTS_PATH } from './feed';
import type { EventVerifier } from './signature';

/** Where a subgraph serves its feed, from its GraphQL URL (same origin). */
export const feedUrlOf = (graphqlUrl: string): string => new URL(EVENTS_PATH, graphqlUrl).toString();

export interface FeedSource {
  /** The subgraph that owns the events (the signature's audience). */
  owner: string;
  /** Its feed's URL; read on every poll (undefined while not known yet: the consumer waits). */
  feedUrl: () => string | undefined;
  /** This service, signing its requests as `service:<name>` with the signing secret. */
  signer: { service: string; secret: Buffer };
  /** Checks that each event is the owner's (signed with its key) before it is used at all. */
  verifier: EventVerifier;
  timeoutMs?: number;
}

/** The feed answered something other than a page of events, or could not be reached. */
export class FeedUnavailable extends Error {
  override readonly name = 'FeedUnavailable';
}

/**
 * A context whose (remote) parent is not sampled: background polling and what
 * it applies are not traced (a trace twice a second per consumer would drown
 * the requests'), with any parent-based sampler.
 */
export function untraced(): Context {
  return trace.setSpanContext(otelContext.active(), {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    traceFlags: TraceFlags.NONE,
    isRemote: true,
  });
}

/** One signed page of an owner's feed, after `after`. */
export async function fetchFeedPage(
  source: FeedSource,
  after: bigint,
  limit: number,
  signal?: AbortSignal,
): Promise<{ events: CloudEvent[]; next: bigint }> {
  const url = source.feedUrl();
  if (!url) throw new FeedUnavailable(`the ${source.owner} feed's address is not known yet`);
  const timeoutMs = source.timeoutMs ?? DEFAULT_CONSUMER_SETTINGS.timeoutMs;
  const requestId = `events-${randomUUID()}`;
  const identity = { ...ANONYMOUS, service: source.signer.service, scopes: [] };
  const deadline = AbortSignal.timeout(timeoutMs);
  const pageUrl = `${url}?after=${after.toString()}&limit=${limit}`;
  // A GET: the signature covers the method, this query string and the empty body.
  const signature = await signRequest(identity, { method: 'GET', url: pageUrl, body: '' }, source.signer.secret, {
    audience: source.owner,
    requestId,
    deadline: Date.now() + timeoutMs,
  });
  let response: Response;
  try {
    response = await fetch(pageUrl, {
      headers: {
        [REQUEST_ID_HEADER]: requestId,
        // Not sampled: polling is not traced at the owner either.
        traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`,
        ...signature,
      },
      signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
    });
  } catch (error) {
    throw new FeedUnavailable(
      `the ${source.owner} feed cannot be reached: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const body = (await response.json().catch(() => null)) as { events?: unknown; next?: unknown } | null;
  if (response.status !== 200 || !body || !Array.isArray(body.events)) {
    throw new FeedUnavailable(`the ${source.owner} feed answered HTTP ${response.status} without events`);
  }
  const next =
    typeof body.next === 'number' || (typeof body.next === 'string' && SEQUENCE.test(body.next))
      ? BigInt(body.next)
      : after;
  return { events: body.events as CloudEvent[], next };
}
