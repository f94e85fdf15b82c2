import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, verifySignedRequest } from '../../auth/identity';
import { fetchSignedFeedPage, FeedUnavailable, type SignedFeedRead } from '../signedFeedPage';

const secret = Buffer.alloc(32, 7);
let server: Server;
let url: string;
let answer: (req: IncomingMessage, res: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((req, res) => answer(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const read = (overrides: Partial<SignedFeedRead> = {}): SignedFeedRead => ({
  owner: 'car',
  url,
  signer: { service: 'gateway', secret },
  timeoutMs: 5_000,
  requestIdPrefix: 'test',
  ...overrides,
});

describe('fetchSignedFeedPage', () => {
  it('reads the page after a position, signed for the owner as the reader', async () => {
    let verified: { service: string; target: string } | undefined;
    answer = (req, res) => {
      void verifySignedRequest(req.headers, { method: req.method ?? '', target: req.url ?? '', body: '' }, secret, {
        audience: 'car',
        maxAgeMs: 60_000,
      }).then(
        (signed) => {
          verified = { service: signed.caller.service ?? '', target: req.url ?? '' };
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ events: [{ subject: 'a' }], next: 12 }));
        },
        () => {
          res.statusCode = 401;
          res.end();
        },
      );
    };
    await expect(fetchSignedFeedPage(read(), '11', 50)).resolves.toEqual({ events: [{ subject: 'a' }], next: 12 });
    expect(verified).toEqual({ service: 'gateway', target: '/events?after=11&limit=50' });
  });

  it('says FeedUnavailable, naming the owner, when the feed answers anything but a page', async () => {
    answer = (req, res) => {
      expect(req.headers[SIGNATURE_HEADER]).toEqual(expect.any(String));
      res.statusCode = 503;
      res.end('busy');
    };
    const failure = fetchSignedFeedPage(read(), 'latest', 1);
    await expect(failure).rejects.toBeInstanceOf(FeedUnavailable);
    await expect(failure).rejects.toThrow('the car feed answered HTTP 503 without a page of events');
  });

  it('says FeedUnavailable when the feed cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(fetchSignedFeedPage(read({ url: `http://127.0.0.1:${port}/events` }), '0', 1)).rejects.toThrow(
      /^the car feed cannot be reached/,
    );
  });
});
