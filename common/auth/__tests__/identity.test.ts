import { ANONYMOUS, IdentityError, signIdentity, verifySignedRequest, type CallerIdentity } from '../identity';
import { MemoryNonceStore } from '../../state/nonceStore';

const secret = Buffer.from('a'.repeat(64));
const caller: CallerIdentity = { ...ANONYMOUS, userId: 'u-1', scopes: ['car:read'], tokenId: 't-1', clientIp: '127.0.0.1' };
const body = '{"query":"{ cars { totalCount } }"}';
const forCar = (now: number) => ({ audience: 'car', requestId: 'req-1', deadline: now + 5_000, now });
const verify = (headers: Record<string, string>, sentBody: string, now: number, audience = 'car') =>
  verifySignedRequest(headers, sentBody, secret, { audience, maxAgeMs: 30_000, now });

describe('signed caller identity', () => {
  it('round-trips the caller, request id and deadline for the same body and service within the window', () => {
    const headers = signIdentity(caller, body, secret, forCar(1_000_000));
    expect(verify(headers, body, 1_010_000)).toMatchObject({ caller, requestId: 'req-1', deadline: 1_005_000, validUntil: 1_030_000 });
  });

  it('gives every signature its own nonce', () => {
    const a = verify(signIdentity(caller, body, secret, forCar(1_000_000)), body, 1_000_000);
    const b = verify(signIdentity(caller, body, secret, forCar(1_000_000)), body, 1_000_000);
    expect(a.nonce).not.toBe(b.nonce);
  });

  it.each([
    ['no headers', () => ({}), body, 1_000_000, 'car'],
    ['another secret', () => signIdentity(caller, body, Buffer.from('b'.repeat(64)), forCar(1_000_000)), body, 1_000_000, 'car'],
    ['another body', () => signIdentity(caller, body, secret, forCar(1_000_000)), '{"query":"{ me { id } }"}', 1_000_000, 'car'],
    ['an expired signature', () => signIdentity(caller, body, secret, forCar(1_000_000)), body, 1_031_000, 'car'],
    ['a signature from the future', () => signIdentity(caller, body, secret, forCar(1_010_000)), body, 1_000_000, 'car'],
    ['a signature for another service', () => signIdentity(caller, body, secret, forCar(1_000_000)), body, 1_000_000, 'user'],
    [
      'a swapped identity',
      () => ({
        ...signIdentity(caller, body, secret, forCar(1_000_000)),
        'x-gateway-identity': signIdentity({ ...caller, scopes: ['user:write'] }, body, secret, forCar(1_000_000))['x-gateway-identity']! + 'x',
      }),
      body,
      1_000_000,
      'car',
    ],
  ])('refuses %s', (_what, headers, sentBody, now, audience) => {
    expect(() => verify(headers() as Record<string, string>, sentBody, now, audience)).toThrow(IdentityError);
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
