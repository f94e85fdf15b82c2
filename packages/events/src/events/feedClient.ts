/**
 * Reading an owner's event feed over HTTP: one signed `GET /events?after=<cursor>` page at a
 * time, as this service, for the owner (like a peer subgraph call).
 */
import { randomBytes } from 'node:crypto';
import { context as otelContext, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { fetchSignedFeedPage, FeedUnavailable } from '@car-check/service-kit';
import type { CloudEvent } from './cloudEvent';
import { DEFAULT_CONSUMER_SETTINGS } from './consumerSettings';
import { SEQUENCE } from './consumerStore';
import { EVENTS_PATH } from './feed';
import type { EventVerifier } from './signature';

export { FeedUnavailable };

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

/** One signed page of an owner's feed, after `after`; the owner may hold an empty answer for `waitMs`. */
export async function fetchFeedPage(
  source: FeedSource,
  after: bigint,
  limit: number,
  signal?: AbortSignal,
  waitMs = 0,
): Promise<{ events: CloudEvent[]; next: bigint }> {
  const url = source.feedUrl();
  if (!url) throw new FeedUnavailable(`the ${source.owner} feed's address is not known yet`);
  const page = await fetchSignedFeedPage(
    {
      owner: source.owner,
      url,
      signer: source.signer,
      timeoutMs: source.timeoutMs ?? DEFAULT_CONSUMER_SETTINGS.timeoutMs,
      waitMs,
      requestIdPrefix: 'events',
      ...(signal ? { signal } : {}),
    },
    after.toString(),
    limit,
  );
  const next =
    typeof page.next === 'number' || (typeof page.next === 'string' && SEQUENCE.test(page.next))
      ? BigInt(page.next)
      : after;
  // Each event is verified (its owner's signature) before it is used at all.
  return { events: page.events as CloudEvent[], next };
}
