import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import {
  ANONYMOUS,
  type CallerIdentity,
  signRequest,
  type SigningOptions,
  MemoryNonceStore,
  keepRawBody,
  requireGatewaySignature,
  assignRequestId,
} from '@car-check/service-kit';
import { fetchFeedPage, developmentEventKey, EventVerifier, publicKeyOf } from '@car-check/events';
import { PeerClient } from '../../peers/peerClient';
import { LogCapture } from '@car-check/test-support/logCapture';
import { sendRaw } from '@car-check/test-support/rawHttp';

// The check alone, in this process, in front of a handler that echoes what it admitted.
const secret = Buffer.from('s'.repeat(64));
const caller: CallerIdentity = { ...ANONYMOUS, userId: 'admin', scopes: ['car:read', 'car:write'] };
const body = JSON.stringify({ query: '{ cars { totalCount } }' });

describe('requireGatewaySignature', () => {
  const logs = new LogCapture('car');
  let server: Server;
  let origin: string;
  beforeAll(async () => {
    const app = express();
    app.use(assignRequestId);
    app.use(
      '/graphql',
      express.json({ verify: keepRawBody }),
      requireGatewaySignature({ secret, audience: 'car', maxAgeMs: 30_000, nonces: new MemoryNonceStore() }, logs.log),
      (req, res) => {
        res.json({
          caller: res.locals.caller,
          requestId: res.locals.requestId,
          method: req.method,
          query: req.query.query ?? null,
          data: { ok: true },
        });
      },
    );
    app.get(
      '/events',
      requireGatewaySignature({ secret, audience: 'car', maxAgeMs: 30_000, nonces: new MemoryNonceStore() }, logs.log),
      (_req, res) => {
        res.json({ events: [], next: 7, caller: res.locals.caller });
      },
    );
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const signed = (method: string, target: string, signedBody: string, options: Partial<SigningOptions> = {}) =>
    signRequest(caller, { method, url: target, body: signedBody }, secret, {
      audience: 'car',
      requestId: 'rid-1',
      ...options,
    });
  const send = (method: string, target: string, headers: Record<string, string>, sentBody = '') =>
    sendRaw(origin, {
      method,
      path: target,
      // An explicit length: Node sends a GET's body only when framed.
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(sentBody)),
        ...headers,
      },
      body: sentBody,
    });
  const code = (json: unknown) =>
    (json as { errors?: { extensions?: { code?: unknown } }[] }).errors?.[0]?.extensions?.code;

  it('admits the request exactly as signed, as the signed caller and request id', async () => {
    const post = await send(
      'POST',
      '/graphql',
      { ...(await signed('POST', '/graphql', body)), 'x-request-id': 'rid-1' },
      body,
    );
    expect(post.status).toBe(200);
    expect(post.json).toEqual({ caller, requestId: 'rid-1', method: 'POST', query: null, data: { ok: true } });
    const get = await send(
      'GET',
      '/graphql?query=%7B__typename%7D',
      await signed('GET', '/graphql?query=%7B__typename%7D', ''),
    );
    expect(get.status).toBe(200);
  });

  it.each<[string, () => Promise<[string, string, Record<string, string>, string]>]>([
    [
      'the signed POST re-sent as a GET with another query',
      async () => [
        'GET',
        '/graphql?query=%7B__schema%7Bdescription%7D%7D',
        await signed('POST', '/graphql', body),
        body,
      ],
    ],
    ['another method', async () => ['PUT', '/graphql', await signed('POST', '/graphql', body), body]],
    ['another path', async () => ['POST', '/graphql/x', await signed('POST', '/graphql', body), body]],
    [
      'another query string',
      async () => ['GET', '/graphql?query=%7Bb%7D', await signed('GET', '/graphql?query=%7Ba%7D', ''), ''],
    ],
    [
      'a query string added',
      async () => ['POST', '/graphql?query=%7Bb%7D', await signed('POST', '/graphql', body), body],
    ],
    [
      'another body',
      async () => [
        'POST',
        '/graphql',
        await signed('POST', '/graphql', body),
        body.replace('totalCount', '__typename'),
      ],
    ],
    [
      'another audience',
      async () => ['POST', '/graphql', await signed('POST', '/graphql', body, { audience: 'user' }), body],
    ],
    [
      'an expired signature',
      async () => ['POST', '/graphql', await signed('POST', '/graphql', body, { now: Date.now() - 31_000 }), body],
    ],
    [
      'another request id header',
      async () => ['POST', '/graphql', { ...(await signed('POST', '/graphql', body)), 'x-request-id': 'rid-2' }, body],
    ],
    [
      'another secret',
      async () => [
        'POST',
        '/graphql',
        await signRequest(caller, { method: 'POST', url: '/graphql', body }, Buffer.from('x'.repeat(64)), {
          audience: 'car',
        }),
        body,
      ],
    ],
    ['no signature', async () => ['POST', '/graphql', {}, body]],
  ])('refuses %s with 401 UNAUTHENTICATED', async (_what, request) => {
    const [method, target, headers, sentBody] = await request();
    const response = await send(method, target, headers, sentBody);
    expect({ status: response.status, code: code(response.json) }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('refuses a replay of a signature it admitted (the nonce is claimed once)', async () => {
    const once = await signed('POST', '/graphql', body);
    expect((await send('POST', '/graphql', once, body)).status).toBe(200);
    const replay = await send('POST', '/graphql', once, body);
    expect({ status: replay.status, code: code(replay.json) }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(logs.entries().some((entry) => entry.reason === 'replayed signature')).toBe(true);
  });

  it('admits what a peer subgraph and the event-feed client sign (their own method, path and query)', async () => {
    const peer = new PeerClient('car', `${origin}/graphql`, 30_000, logs.log, { service: 'cost-center', secret });
    expect(await peer.request('{ ok }', {}, 'rid-peer', ['car:read'])).toMatchObject({ data: { ok: true } });
    const verifier = new EventVerifier('car', [publicKeyOf(developmentEventKey(secret, 'car'))]);
    const feed = { owner: 'car', feedUrl: () => `${origin}/events`, signer: { service: 'user', secret }, verifier };
    expect(await fetchFeedPage(feed, 5n, 10)).toEqual({ events: [], next: 7n });
    const wrongSecret = new PeerClient('car', `${origin}/graphql`, 30_000, logs.log, {
      service: 'cost-center',
      secret: Buffer.from('w'.repeat(64)),
    });
    await expect(wrongSecret.request('{ ok }', {}, 'rid-peer-2', [])).resolves.toMatchObject({
      errors: [{ extensions: { code: 'UNAUTHENTICATED' } }],
    });
  });

  it('says in its log why it refused, never in the answer', async () => {
    const response = await send('GET', '/graphql?query=%7Bx%7D', await signed('POST', '/graphql', body), body);
    expect(response.text).not.toContain('method');
    expect(
      logs.entries().some((entry) => entry.reason === 'signature for another method' && entry.method === 'GET'),
    ).toBe(true);
  });
});
