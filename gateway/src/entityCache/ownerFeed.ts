import { randomUUID } from 'node:crypto';
import { ANONYMOUS, REQUEST_ID_HEADER, signRequest } from '@car-check/service-kit';

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
 * One signed read of an owner's event feed (packages/events/src/events/feed.ts): the page
 * after `after`, or with `after` = 'latest', no events and the feed's newest position. The
 * gateway only learns from it which entities changed: it neither applies nor trusts the
 * events' content (they only ever drop cache entries), so it does not verify their signatures,
 * and it needs none of the event library (whose broker client the gateway's image leaves out).
 */
export async function readOwnerFeed(
  source: OwnerFeedSource,
  after: number | 'latest',
  limit: number,
): Promise<FeedPage> {
  const url = `${source.feedUrl}?after=${after}&limit=${limit}`;
  const requestId = `entity-cache-${randomUUID()}`;
  const signature = await signRequest(
    { ...ANONYMOUS, service: 'gateway', scopes: [] },
    { method: 'GET', url, body: '' },
    source.signingSecret,
    { audience: source.owner, requestId, deadline: Date.now() + source.timeoutMs },
  );
  const response = await fetch(url, {
    headers: { [REQUEST_ID_HEADER]: requestId, ...signature },
    signal: AbortSignal.timeout(source.timeoutMs),
  });
  const body = (await response.json().catch(() => null)) as { events?: unknown; next?: unknown } | null;
  if (response.status !== 200 || !body || !Array.isArray(body.events) || typeof body.next !== 'number')
    throw new Error(`the ${source.owner} feed answered HTTP ${response.status} without a page of events`);
  const changed = (body.events as { subject?: unknown; time?: unknown }[]).flatMap((event) =>
    typeof event.subject === 'string'
      ? [{ id: event.subject.toLowerCase(), at: typeof event.time === 'string' ? Date.parse(event.time) : NaN }]
      : [],
  );
  return { changed, count: body.events.length, next: body.next };
}
