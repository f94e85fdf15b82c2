import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import { probeHalfClosedStream } from '@car-check/service-kit';
import type { DeferredPart } from '../defer/incremental';
import { payloadJson } from '../subscriptions/payloadJson';
import type { SubscriptionMessage } from '../subscriptions/subscription';

/** A stream of results, and how to stop it when its client goes away. */
export interface ResultStream<Message> extends AsyncIterable<Message> {
  cancel(): void;
}

/** How one HTTP transport frames a stream of results. */
export interface Framing<Message> {
  contentType: string;
  message(message: Message): string;
  /** Written with the headers, before the first message. */
  start?: string;
  /** Sent when the stream is idle (a subscription's); none for a stream that ends by itself. */
  heartbeat?: string;
  /** What the client's reader skips: written when it half-closes, to learn whether it is gone. */
  probe: string;
  end: string;
}

const BOUNDARY = 'graphql';
/**
 * One JSON part of a multipart answer, closed by the delimiter at once (the stream starts with
 * the first delimiter): a reader knows a part is whole only when it sees the next delimiter, and
 * the next part may be seconds away. Apollo Router writes its parts the same way.
 */
const closedPart = (json: string) =>
  `\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${json}\r\n--${BOUNDARY}`;
const FIRST_DELIMITER = `\r\n--${BOUNDARY}`;
/** After the last part's delimiter: the closing delimiter's `--`. */
const CLOSE = '--\r\n';

/**
 * The HTTP framings of a stream: Apollo's multipart subscription protocol
 * (what Apollo Client's HttpLink reads: each result in `payload`, the
 * extensions carrying its cursor, `{}` heartbeats, the error that ends it as a
 * transport error with `payload: null`), and graphql-sse's distinct
 * connections mode (`event: next` with the cursor as `id:`, comment
 * heartbeats, `event: complete`).
 */
export const SUBSCRIPTION_FRAMINGS: Record<'multipart' | 'sse', Framing<SubscriptionMessage>> = {
  multipart: {
    contentType: `multipart/mixed;boundary="${BOUNDARY}";subscriptionSpec="1.0"`,
    start: FIRST_DELIMITER,
    message: ({ payload, final }) =>
      closedPart(
        final && payload.errors
          ? JSON.stringify({ payload: null, errors: payload.errors })
          : `{"payload":${payloadJson(payload)}}`,
      ),
    heartbeat: closedPart('{}'),
    probe: closedPart('{}'),
    end: CLOSE,
  },
  sse: {
    contentType: 'text/event-stream; charset=utf-8',
    message: ({ payload, cursor }) =>
      `event: next\n${cursor !== undefined ? `id: ${cursor}\n` : ''}data: ${payloadJson(payload)}\n\n`,
    heartbeat: ':\n\n',
    probe: ':\n\n',
    end: 'event: complete\ndata:\n\n',
  },
};

/**
 * @defer's multipart answer, as Apollo Router writes it and Apollo Client's
 * Defer20220824Handler reads it: each part is the result itself (`{data,
 * hasNext}`, then `{incremental, hasNext}`), no heartbeat (the request's
 * deadline bounds the stream).
 */
export const DEFERRED_PARTS: Framing<DeferredPart> = {
  contentType: `multipart/mixed;boundary="${BOUNDARY}";deferSpec=20220824`,
  start: FIRST_DELIMITER,
  message: (deferredPart) => closedPart(JSON.stringify(deferredPart)),
  // An empty part, which Apollo Client's multipart reader skips (as it skips subscription heartbeats).
  probe: closedPart('{}'),
  end: CLOSE,
};

/**
 * Writes a stream of results as `framing` frames it, as they come: 200 and
 * the headers at once, a heartbeat every `heartbeatMs` (if it has one), each result when it
 * is ready (waiting for the client to read the previous ones: a slow client
 * lets the stream's own buffer fill, which ends it rather than the gateway's
 * memory), then the end. Stops the stream when the client goes away.
 */
export async function writeStream<Message>(
  res: ServerResponse,
  stream: ResultStream<Message>,
  framing: Framing<Message>,
  heartbeatMs: number,
): Promise<void> {
  res.statusCode = 200;
  res.setHeader('content-type', framing.contentType);
  res.setHeader('cache-control', 'no-cache, no-store');
  // Proxies (nginx) must pass each event on as it comes.
  res.setHeader('x-accel-buffering', 'no');
  res.flushHeaders();
  if (framing.start !== undefined) res.write(framing.start);
  const onClose = () => stream.cancel();
  res.once('close', onClose);
  const { heartbeat: beat } = framing;
  const heartbeat = beat === undefined ? undefined : setInterval(() => res.write(beat), heartbeatMs);
  heartbeat?.unref();
  const stopProbing = probeHalfClosedStream(res, framing.probe);
  try {
    for await (const message of stream) {
      if (res.destroyed) break;
      if (!res.write(framing.message(message))) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
    if (!res.destroyed) res.end(framing.end);
  } finally {
    clearInterval(heartbeat);
    stopProbing();
    res.off('close', onClose);
  }
}
