import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import { payloadJson } from '../subscriptions/payloadJson';
import type { SubscriptionMessage } from '../subscriptions/subscription';

/** A stream of results, and how to stop it when its client goes away. */
export interface ResultStream extends AsyncIterable<SubscriptionMessage> {
  cancel(): void;
}

/** How one HTTP transport frames a stream of results. */
interface Framing {
  contentType: string;
  message(message: SubscriptionMessage): string;
  heartbeat: string;
  end: string;
}

const BOUNDARY = 'graphql';
const part = (json: string) => `\r\n--${BOUNDARY}\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${json}`;

/**
 * The HTTP framings of a stream: Apollo's multipart subscription protocol
 * (what Apollo Client's HttpLink reads: each result in `payload`, the
 * extensions carrying its cursor, `{}` heartbeats, the error that ends it as a
 * transport error with `payload: null`), and graphql-sse's distinct
 * connections mode (`event: next` with the cursor as `id:`, comment
 * heartbeats, `event: complete`). @defer's multipart (deferSpec) is another
 * entry here.
 */
const FRAMINGS: Record<'multipart' | 'sse', Framing> = {
  multipart: {
    contentType: `multipart/mixed;boundary="${BOUNDARY}";subscriptionSpec="1.0"`,
    message: ({ payload, final }) =>
      part(
        final && payload.errors
          ? JSON.stringify({ payload: null, errors: payload.errors })
          : `{"payload":${payloadJson(payload)}}`,
      ),
    heartbeat: part('{}'),
    end: `\r\n--${BOUNDARY}--\r\n`,
  },
  sse: {
    contentType: 'text/event-stream; charset=utf-8',
    message: ({ payload, cursor }) =>
      `event: next\n${cursor !== undefined ? `id: ${cursor}\n` : ''}data: ${payloadJson(payload)}\n\n`,
    heartbeat: ':\n\n',
    end: 'event: complete\ndata:\n\n',
  },
};

/**
 * Writes a stream of results as `transport` frames it, as they come: 200 and
 * the headers at once, a heartbeat every `heartbeatMs`, each result when it
 * is ready (waiting for the client to read the previous ones: a slow client
 * lets the stream's own buffer fill, which ends it rather than the gateway's
 * memory), then the end. Stops the stream when the client goes away.
 */
export async function writeStream(
  res: ServerResponse,
  stream: ResultStream,
  transport: 'multipart' | 'sse',
  heartbeatMs: number,
): Promise<void> {
  const framing = FRAMINGS[transport];
  res.statusCode = 200;
  res.setHeader('content-type', framing.contentType);
  res.setHeader('cache-control', 'no-cache, no-store');
  // Proxies (nginx) must pass each event on as it comes.
  res.setHeader('x-accel-buffering', 'no');
  res.flushHeaders();
  const onClose = () => stream.cancel();
  res.once('close', onClose);
  const heartbeat = setInterval(() => res.write(framing.heartbeat), heartbeatMs);
  heartbeat.unref();
  try {
    for await (const message of stream) {
      if (res.destroyed) break;
      if (!res.write(framing.message(message))) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
    if (!res.destroyed) res.end(framing.end);
  } finally {
    clearInterval(heartbeat);
    res.off('close', onClose);
  }
}
