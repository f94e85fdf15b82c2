/**
 * One signed read of an owner's event feed (`GET <feed>?after=<position>&limit=<n>`, served by
 * the events package's feed route): the HTTP exchange only, shared by the event consumers
 * (which verify and apply the events) and the gateway's entity cache (which only learns what
 * changed, and whose image carries no event library).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ANONYMOUS, signRequest } from '../auth/identity';
import { REQUEST_ID_HEADER } from '../server/requestId';

/** The feed answered something other than a page of events, or could not be reached. */
export class FeedUnavailable extends Error {
  override readonly name = 'FeedUnavailable';
}

export interface SignedFeedRead {
  /** The service that owns the feed: the signature's audience, and the name in errors. */
  owner: string;
  /** The feed's address. */
  url: string;
  /** The reader, signing as `service:<name>` with the signing secret. */
  signer: { service: string; secret: Buffer };
  timeoutMs: number;
  /** How long the owner may hold an answer with no events (the feed's `wait`; none when absent or 0). */
  waitMs?: number;
  /** Stops the read early (the reader is closing). */
  signal?: AbortSignal;
  /** Starts the request id, so that the owner's logs tell the readers apart. */
  requestIdPrefix: string;
}

/** A page as the feed sends it: its events (unchecked) and the position to read after next. */
export interface RawFeedPage {
  events: unknown[];
  next: unknown;
}

/**
 * Reads the page after `after` ('latest': no events, and the feed's newest position), which the
 * owner may hold for `waitMs` while it has no events. Not traced: background reads by every
 * reader would drown the requests' traces, so the read carries an unsampled traceparent. Throws FeedUnavailable when the feed cannot be reached or
 * answers anything but a page.
 */
export async function fetchSignedFeedPage(read: SignedFeedRead, after: string, limit: number): Promise<RawFeedPage> {
  const requestId = `${read.requestIdPrefix}-${randomUUID()}`;
  const waitMs = read.waitMs ?? 0;
  const pageUrl = `${read.url}?after=${after}&limit=${limit}${waitMs > 0 ? `&wait=${waitMs}` : ''}`;
  // The owner may hold the answer for waitMs: the read's own time comes on top.
  const timeoutMs = read.timeoutMs + waitMs;
  const identity = { ...ANONYMOUS, service: read.signer.service, scopes: [] };
  // A GET: the signature covers the method, this query string and the empty body.
  const signature = await signRequest(identity, { method: 'GET', url: pageUrl, body: '' }, read.signer.secret, {
    audience: read.owner,
    requestId,
    deadline: Date.now() + timeoutMs,
  });
  const deadline = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(pageUrl, {
      headers: {
        [REQUEST_ID_HEADER]: requestId,
        traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`,
        ...signature,
      },
      signal: read.signal ? AbortSignal.any([read.signal, deadline]) : deadline,
    });
  } catch (error) {
    throw new FeedUnavailable(
      `the ${read.owner} feed cannot be reached: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const body = (await response.json().catch(() => null)) as { events?: unknown; next?: unknown } | null;
  if (response.status !== 200 || !body || !Array.isArray(body.events)) {
    throw new FeedUnavailable(`the ${read.owner} feed answered HTTP ${response.status} without a page of events`);
  }
  return { events: body.events, next: body.next };
}
