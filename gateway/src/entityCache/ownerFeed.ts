import { fetchSignedFeedPage } from '@car-check/service-kit';

/** What the cache reads of an owner's event: which entity changed, and when. */
export interface ChangedEntity {
  /** The entity's id (the CloudEvent's `subject`). */
  id: string;
  /** When the change was made (ms since the epoch), for the invalidation lag. */
  at: number;
}

export interface FeedPage {
  changed: ChangedEntity[];
  /** How many events the page held (a full page: read on at once). */
  count: number;
  /** The position to read after next time. */
  next: number;
}

export interface OwnerFeedSource {
  owner: string;
  /** The owner's `/events` address (same origin as its GraphQL endpoint). */
  feedUrl: string;
  /** Signs the reads as the gateway's service identity. */
  signingSecret: Buffer;
  timeoutMs: number;
}

/**
 * One signed read of an owner's event feed: the page after `after`, or with `after` =
 * 'latest', no events and the feed's newest position. The gateway only learns from it which
 * entities changed: it neither applies nor trusts the events' content (they only ever drop
 * cache entries), so it does not verify their signatures, and it needs none of the event
 * library (whose broker client the gateway's image leaves out).
 */
export async function readOwnerFeed(
  source: OwnerFeedSource,
  after: number | 'latest',
  limit: number,
): Promise<FeedPage> {
  const page = await fetchSignedFeedPage(
    {
      owner: source.owner,
      url: source.feedUrl,
      signer: { service: 'gateway', secret: source.signingSecret },
      timeoutMs: source.timeoutMs,
      requestIdPrefix: 'entity-cache',
    },
    String(after),
    limit,
  );
  if (typeof page.next !== 'number') throw new Error(`the ${source.owner} feed sent a page without its next position`);
  const changed = (page.events as { subject?: unknown; time?: unknown }[]).flatMap((event) =>
    typeof event.subject === 'string'
      ? [{ id: event.subject.toLowerCase(), at: typeof event.time === 'string' ? Date.parse(event.time) : NaN }]
      : [],
  );
  return { changed, count: page.events.length, next: page.next };
}
