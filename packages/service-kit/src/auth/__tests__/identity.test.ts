import {
  ANONYMOUS,
  contentDigest,
  IdentityError,
  type ReceivedRequest,
  requestTarget,
  SIGNATURE_HEADER,
  type SigningOptions,
  signRequest,
  verifySignedRequest,
  type CallerIdentity,
} from '../identity';
import { MemoryNonceStore } from '../../state/nonceStore';

const secret = Buffer.from('a'.repeat(64));
const caller: CallerIdentity = {
  ...ANONYMOUS,
  userId: 'u-1',
  scopes: ['car:read'],
  tokenId: 't-1',
  clientIp: '127.0.0.1',
};
const body = '{"query":"{ cars { totalCount } }"}';
const url = 'http://car.internal:4001/graphql';
const sent: ReceivedRequest = { method: 'POST', target: '/graphql', body };
const forCar = (now: number) => ({
  audience: 'car',
  requestId: 'req-1',
  deadline: now + 5_000,
  idempotencyKey: 'ik-1',
  now,
});
const sign = (now = 1_000_000, options: Partial<SigningOptions> = {}, key = secret) =>
  signRequest(caller, { method: 'POST', url, body }, key, { ...forCar(now), ...options });
const verify = (headers: Record<string, string>, received: ReceivedRequest = sent, now = 1_000_000, audience = 'car') =>
  verifySignedRequest(headers, received, secret, { audience, maxAgeMs: 30_000, now });

/** The token with its claims edited after signing (the signature left as it was). */
async function tampered(edit: (claims: Record<string, unknown>) => void): Promise<Record<string, string>> {
  const [header, payload, signature] = (await sign())[SIGNATURE_HEADER]!.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
  edit(claims);
  return { [SIGNATURE_HEADER]: `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}` };
}

describe('a request signature', () => {
  it('is one compact JWS (HS256) in one header, binding method, path and query, body digest, audience and validity', async () => {
    const headers = await sign();
    expect(Object.keys(headers)).toEqual([SIGNATURE_HEADER]);
    const [header, payload] = headers[SIGNATURE_HEADER]!.split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);
    expect(header).toEqual({ alg: 'HS256', typ: 'gateway-request+jwt' });
    expect(payload).toMatchObject({
      aud: 'car',
      iat: 1_000,
      exp: 1_030,
      htm: 'POST',
      htu: '/graphql',
      digest: contentDigest(body),
      rid: 'req-1',
      ik: 'ik-1',
    });
    expect(contentDigest('')).toBe('sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:');
  });

  it('round-trips the caller, request id, deadline and idempotency key for the very request it was made for', async () => {
    expect(await verify(await sign(), sent, 1_010_000)).toMatchObject({
      caller,
      requestId: 'req-1',
      deadline: 1_005_000,
      idempotencyKey: 'ik-1',
      validUntil: 1_030_000,
    });
  });

  it('covers a GET with its query string and empty body', async () => {
    const feed = 'http://cost-center.internal/events?after=12&limit=100';
    const headers = await signRequest(caller, { method: 'GET', url: feed, body: '' }, secret, forCar(1_000_000));
    await expect(
      verify(headers, { method: 'GET', target: '/events?after=12&limit=100', body: Buffer.alloc(0) }),
    ).resolves.toMatchObject({ caller });
    await expect(verify(headers, { method: 'GET', target: '/events?after=0&limit=100', body: '' })).rejects.toThrow(
      'another path or query',
    );
  });

  it('gives every signature its own nonce', async () => {
    const [a, b] = await Promise.all([verify(await sign()), verify(await sign())]);
    expect(a.nonce).not.toBe(b.nonce);
  });

  it.each<[string, () => Promise<Record<string, string>>, ReceivedRequest, number, string, string]>([
    ['no signature', async () => ({}), sent, 1_000_000, 'car', 'missing'],
    [
      'another secret',
      () => sign(1_000_000, {}, Buffer.from('b'.repeat(64))),
      sent,
      1_000_000,
      'car',
      'invalid gateway signature',
    ],
    [
      'another method (the POST re-sent as a GET)',
      () => sign(),
      { ...sent, method: 'GET' },
      1_000_000,
      'car',
      'another method',
    ],
    ['another path', () => sign(), { ...sent, target: '/graphql/other' }, 1_000_000, 'car', 'another path or query'],
    [
      'a query string added',
      () => sign(),
      { ...sent, target: '/graphql?query=%7B__typename%7D' },
      1_000_000,
      'car',
      'another path or query',
    ],
    ['another body', () => sign(), { ...sent, body: '{"query":"{ me { id } }"}' }, 1_000_000, 'car', 'another body'],
    ['an empty body', () => sign(), { ...sent, body: '' }, 1_000_000, 'car', 'another body'],
    ['another audience', () => sign(), sent, 1_000_000, 'user', 'another service'],
    ['an expired signature', () => sign(), sent, 1_031_000, 'car', 'expired'],
    [
      'a signature older than this service’s window, whatever its exp',
      () => sign(1_000_000, { validForMs: 300_000 }),
      sent,
      1_031_000,
      'car',
      'expired',
    ],
    ['a signature from the future', () => sign(1_010_000), sent, 1_000_000, 'car', 'future'],
    [
      'an edited caller',
      () => tampered((claims) => (claims.caller = { ...caller, scopes: ['user:write'] })),
      sent,
      1_000_000,
      'car',
      'invalid',
    ],
    ['an edited request id', () => tampered((claims) => (claims.rid = 'req-2')), sent, 1_000_000, 'car', 'invalid'],
    ['an edited expiry', () => tampered((claims) => (claims.exp = 9_999_999_999)), sent, 1_000_000, 'car', 'invalid'],
    [
      'an edited nonce',
      () => tampered((claims) => (claims.jti = 'another-nonce-of-some-length')),
      sent,
      1_000_000,
      'car',
      'invalid',
    ],
    [
      'an edited method',
      () => tampered((claims) => (claims.htm = 'GET')),
      { ...sent, method: 'GET' },
      1_000_000,
      'car',
      'invalid',
    ],
    [
      'an edited digest',
      () => tampered((claims) => (claims.digest = contentDigest(''))),
      { ...sent, body: '' },
      1_000_000,
      'car',
      'invalid',
    ],
    ['an audience list', () => tampered((claims) => (claims.aud = ['car', 'user'])), sent, 1_000_000, 'car', 'invalid'],
    [
      'an unsigned token (alg none)',
      async () => {
        const [, payload] = (await sign())[SIGNATURE_HEADER]!.split('.');
        return {
          [SIGNATURE_HEADER]: `${Buffer.from('{"alg":"none","typ":"gateway-request+jwt"}').toString('base64url')}.${payload}.`,
        };
      },
      sent,
      1_000_000,
      'car',
      'malformed',
    ],
  ])('refuses %s', async (_what, headers, received, now, audience, reason) => {
    const refused = verify(await headers(), received, now, audience);
    await expect(refused).rejects.toThrow(IdentityError);
    await expect(refused).rejects.toThrow(reason);
  });
});

describe('requestTarget', () => {
  it('is the path and query as fetch sends them, or the path and query given', () => {
    expect(requestTarget('http://car.internal:4001/graphql?x=1')).toBe('/graphql?x=1');
    expect(requestTarget(new URL('http://car.internal/a b'))).toBe('/a%20b');
    expect(requestTarget('/events?after=1')).toBe('/events?after=1');
  });
});

describe('MemoryNonceStore', () => {
  it('accepts a nonce once until it expires', async () => {
    const store = new MemoryNonceStore();
    const until = Date.now() + 60_000;
    expect(await store.claim('n-1', until)).toBe(true);
    expect(await store.claim('n-1', until)).toBe(false);
    expect(await store.claim('n-2', until)).toBe(true);
  });
});
