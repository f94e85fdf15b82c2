import { ANONYMOUS, IdentityError, signIdentity, verifyIdentity, type CallerIdentity } from '../identity';

const secret = Buffer.from('a'.repeat(64));
const caller: CallerIdentity = { ...ANONYMOUS, userId: 'u-1', scopes: ['car:read'], tokenId: 't-1', clientIp: '127.0.0.1' };
const body = '{"query":"{ cars { totalCount } }"}';

describe('signed caller identity', () => {
  it('round-trips for the same body within the window', () => {
    const headers = signIdentity(caller, body, secret, 1_000_000);
    expect(verifyIdentity(headers, body, secret, 30_000, 1_010_000)).toEqual(caller);
  });

  it.each([
    ['no headers', () => ({}), body, 1_000_000],
    ['another secret', () => signIdentity(caller, body, Buffer.from('b'.repeat(64)), 1_000_000), body, 1_000_000],
    ['another body', () => signIdentity(caller, body, secret, 1_000_000), '{"query":"{ me { id } }"}', 1_000_000],
    ['an expired signature', () => signIdentity(caller, body, secret, 1_000_000), body, 1_031_000],
    ['a signature from the future', () => signIdentity(caller, body, secret, 1_010_000), body, 1_000_000],
    [
      'a swapped identity',
      () => ({ ...signIdentity(caller, body, secret, 1_000_000), 'x-gateway-identity': signIdentity({ ...caller, scopes: ['user:write'] }, body, secret, 1_000_000)['x-gateway-identity']! + 'x' }),
      body,
      1_000_000,
    ],
  ])('refuses %s', (_what, headers, sentBody, now) => {
    expect(() => verifyIdentity(headers(), sentBody, secret, 30_000, now)).toThrow(IdentityError);
  });
});
