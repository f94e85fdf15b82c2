import { generateKeyPairSync } from 'node:crypto';
import { formatSequence, type CloudEvent } from '../cloudEvent';
import { canonicalJson, developmentEventKey, EventSigner, EventVerifier, publicKeyOf } from '../signature';

const secret = Buffer.from('a development signing secret of 32+ characters');
const keyOf = (subgraph: string) => developmentEventKey(secret, subgraph);
const signerOf = (subgraph: string) => new EventSigner(subgraph, keyOf(subgraph));
const verifier = new EventVerifier('cost-center', [publicKeyOf(keyOf('cost-center'))]);

const event = (overrides: Partial<CloudEvent> = {}): CloudEvent => ({
  specversion: '1.0',
  id: '7d4f5a53-5a3e-4c53-9d0e-2a4b8f1c9e10',
  source: '/subgraphs/cost-center',
  type: 'cost-center.updated',
  subject: '0b0c8f5e-8e55-4d8e-9a53-4c1d6c2b7a11',
  time: '2026-12-05T10:00:00.000Z',
  datacontenttype: 'application/json',
  sequence: formatSequence(42),
  data: {
    revision: 3,
    changes: [{ field: 'code', from: 'CC-A', to: { nested: [1, 'b'] } }],
    actorId: null,
    requestId: 'r-1',
    traceId: null,
  },
  ...overrides,
});

describe('authenticated events', () => {
  it('accepts an event its owner signed, whatever order its JSON keys arrive in', () => {
    const signed = signerOf('cost-center').sign(event());
    expect(signed).toMatchObject({ signer: 'cost-center', signature: expect.stringMatching(/^[A-Za-z0-9_-]{86}$/) });
    expect(verifier.check(signed)).toBeNull();
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(signed).reverse()))) as unknown;
    expect(verifier.check(reordered)).toBeNull();
  });

  it('refuses an event with no signature as unsigned', () => {
    expect(verifier.check(event())).toMatchObject({ reason: 'unsigned' });
    expect(verifier.check({ ...signerOf('cost-center').sign(event()), signature: '' })).toMatchObject({
      reason: 'unsigned',
    });
    expect(verifier.check('not an object')).toMatchObject({ reason: 'unsigned' });
    expect(verifier.check(null)).toMatchObject({ reason: 'unsigned' });
  });

  it('refuses any change after signing, and a signature by another key, as a bad signature', () => {
    const signed = signerOf('cost-center').sign(event());
    expect(verifier.check({ ...signed, data: { ...signed.data, revision: 1_000_000 } })).toMatchObject({
      reason: 'bad signature',
    });
    expect(verifier.check({ ...signed, sequence: formatSequence(9223372036854775807n) })).toMatchObject({
      reason: 'bad signature',
    });
    expect(verifier.check({ ...signed, extra: 'added' })).toMatchObject({ reason: 'bad signature' });
    expect(verifier.check({ ...signed, signature: `${signed.signature.slice(0, -2)}AA` })).toMatchObject({
      reason: 'bad signature',
    });
    expect(verifier.check({ ...signed, signature: 'not base64url!' })).toMatchObject({ reason: 'bad signature' });
    const impostor = new EventSigner('cost-center', generateKeyPairSync('ed25519').privateKey).sign(event());
    expect(verifier.check(impostor)).toMatchObject({ reason: 'bad signature' });
  });

  it('refuses what another subgraph signed, or what claims another source or another owner’s type, as the wrong source', () => {
    // Signed by car with its own (valid) key, claiming to be cost-center's.
    expect(verifier.check(signerOf('car').sign(event()))).toMatchObject({
      reason: 'wrong source',
      detail: expect.stringContaining('"car"'),
    });
    // The owner's key, but not its source, or not its entity.
    expect(verifier.check(signerOf('cost-center').sign(event({ source: '/subgraphs/car' })))).toMatchObject({
      reason: 'wrong source',
    });
    expect(verifier.check(signerOf('cost-center').sign(event({ type: 'car.updated' })))).toMatchObject({
      reason: 'wrong source',
    });
  });

  it('accepts every key listed while a key is rotated', () => {
    const next = generateKeyPairSync('ed25519');
    const rotating = new EventVerifier('cost-center', [publicKeyOf(keyOf('cost-center')), next.publicKey]);
    expect(rotating.check(signerOf('cost-center').sign(event()))).toBeNull();
    expect(rotating.check(new EventSigner('cost-center', next.privateKey).sign(event()))).toBeNull();
  });

  it('derives the same development key pair from the same secret, a different one per subgraph and per secret', () => {
    const pem = (key: ReturnType<typeof keyOf>) => key.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(pem(developmentEventKey(Buffer.from(secret), 'car'))).toBe(pem(keyOf('car')));
    expect(pem(keyOf('car'))).not.toBe(pem(keyOf('cost-center')));
    expect(pem(developmentEventKey(Buffer.from('another secret, also 32+ characters long'), 'car'))).not.toBe(
      pem(keyOf('car')),
    );
    expect(keyOf('car').asymmetricKeyType).toBe('ed25519');
  });

  it('canonical JSON sorts keys at every level and keeps arrays in order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null }, u: undefined })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });
});
