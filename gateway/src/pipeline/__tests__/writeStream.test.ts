import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloClient, gql, HttpLink, InMemoryCache } from '@apollo/client';
import type { SubscriptionMessage } from '../../subscriptions/subscription';
import { SUBSCRIPTION_FRAMINGS, writeStream, type ResultStream } from '../writeStream';

/** A stream that yields `messages`, then stays open (as a live subscription does) until cancelled. */
function openStream(messages: SubscriptionMessage[]): ResultStream<SubscriptionMessage> {
  let cancel = () => {};
  const cancelled = new Promise<void>((resolve) => (cancel = resolve));
  return {
    cancel: () => cancel(),
    async *[Symbol.asyncIterator]() {
      yield* messages;
      await cancelled;
    },
  };
}

describe("a subscription's multipart stream, as Apollo Client's HttpLink reads it", () => {
  let server: Server;
  let url: string;
  // Longer than the test may take: no heartbeat may be what delivers the event.
  const HEARTBEAT_MS = 600_000;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      const event: SubscriptionMessage = {
        payload: { data: { carChanged: { carId: '1', revision: 2 } } },
        cursor: 'c1',
      };
      void writeStream(res, openStream([event]), SUBSCRIPTION_FRAMINGS.multipart, HEARTBEAT_MS);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  // Each part must be closed by the delimiter as it is written: a multipart reader knows a part is
  // whole only when it sees the next delimiter, and on an idle stream that is the next heartbeat,
  // 15 s later by default (the console showed a change 12-13 s after it was committed).
  it('hands over each event as it is written, not with the next heartbeat', async () => {
    const client = new ApolloClient({ link: new HttpLink({ uri: url }), cache: new InMemoryCache() });
    const received = new Promise<unknown>((resolve, reject) => {
      const subscription = client
        .subscribe({ query: gql('subscription { carChanged { carId revision } }'), fetchPolicy: 'no-cache' })
        .subscribe({
          next: (result) => {
            subscription.unsubscribe();
            resolve(result.data);
          },
          error: reject,
        });
    });
    // Milliseconds when the part is closed at once; the bound only turns a hang into a clear failure.
    let timer: NodeJS.Timeout | undefined;
    const notYet = new Promise((resolve) => (timer = setTimeout(resolve, 20_000, 'nothing within 20 s')));
    try {
      await expect(Promise.race([received, notYet])).resolves.toEqual({ carChanged: { carId: '1', revision: 2 } });
    } finally {
      clearTimeout(timer);
    }
    client.stop();
  });

  it('writes each part between two delimiters, and the closing delimiter at the end', () => {
    const { multipart } = SUBSCRIPTION_FRAMINGS;
    const written = [
      multipart.start,
      multipart.message({ payload: { data: { a: 1 } }, cursor: 'c1' }),
      multipart.heartbeat,
      multipart.message({ payload: { errors: [{ message: 'gone' }] }, final: true }),
      multipart.end,
    ].join('');
    const part = (json: string) => `\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${json}`;
    expect(written).toBe(
      `${part('{"payload":{"data":{"a":1}}}')}${part('{}')}${part('{"payload":null,"errors":[{"message":"gone"}]}')}\r\n--graphql--\r\n`,
    );
  });
});
