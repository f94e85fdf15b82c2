import { generateKeyPairSync } from 'node:crypto';
import { developmentEventKey, EventSigner, publicKeyOf } from '../../events/signature';
import {
  eventSignerFromEnv,
  eventSigningKeyFromEnv,
  eventVerifierFromEnv,
  eventVerifyingKeysFromEnv,
} from '../eventKeys';
import { ConfigError, subgraphEventsPrivateKeyVariable, subgraphEventsPublicKeyVariable } from '@car-check/service-kit';

const secret = Buffer.from('a development signing secret of 32+ characters');
const oneLine = (pem: string) => pem.trim().replace(/\n/g, '\\n');
const pair = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
};
const event = {
  specversion: '1.0' as const,
  id: 'e-1',
  source: '/subgraphs/cost-center',
  type: 'cost-center.created' as const,
  subject: 's-1',
  time: '2026-12-05T10:00:00.000Z',
  datacontenttype: 'application/json' as const,
  sequence: '0000000000000000001',
  data: { revision: 1, changes: [], actorId: null, requestId: 'r', traceId: null },
};

describe('event keys from the environment', () => {
  it('names its variables after the subgraph registry', () => {
    expect(subgraphEventsPrivateKeyVariable('cost-center')).toBe('COST_CENTER_EVENTS_PRIVATE_KEY');
    expect(subgraphEventsPublicKeyVariable('cost-center')).toBe('COST_CENTER_EVENTS_PUBLIC_KEY');
    expect(() => eventSigningKeyFromEnv('nowhere', {}, false)).toThrow(/Unknown subgraph "nowhere"/);
  });

  it('production refuses to start without them, naming the variable', () => {
    expect(() => eventSigningKeyFromEnv('car', {}, true)).toThrow(ConfigError);
    expect(() => eventSigningKeyFromEnv('car', {}, true)).toThrow(/CAR_EVENTS_PRIVATE_KEY: required in production/);
    expect(() => eventVerifyingKeysFromEnv('cost-center', {}, true)).toThrow(
      /COST_CENTER_EVENTS_PUBLIC_KEY: required in production/,
    );
  });

  it('refuses a value that is not an Ed25519 key, naming the variable', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(() => eventSigningKeyFromEnv('car', { CAR_EVENTS_PRIVATE_KEY: 'not a key' }, false)).toThrow(
      /CAR_EVENTS_PRIVATE_KEY: must be a PEM-encoded Ed25519 private key/,
    );
    expect(() => eventSigningKeyFromEnv('car', { CAR_EVENTS_PRIVATE_KEY: rsa }, false)).toThrow(
      /CAR_EVENTS_PRIVATE_KEY/,
    );
    expect(() => eventVerifyingKeysFromEnv('car', { CAR_EVENTS_PUBLIC_KEY: pair().privatePem }, false)).toThrow(
      /CAR_EVENTS_PUBLIC_KEY/,
    );
  });

  it('uses configured keys (PEM on one line with \\n too), several public keys while one is rotated', () => {
    const [current, next] = [pair(), pair()];
    const env = {
      COST_CENTER_EVENTS_PRIVATE_KEY: oneLine(current.privatePem),
      COST_CENTER_EVENTS_PUBLIC_KEY: `${oneLine(current.publicPem)}\\n${oneLine(next.publicPem)}`,
    };
    const signer = eventSignerFromEnv('cost-center', env, true, secret);
    const verifier = eventVerifierFromEnv('cost-center', env, true, secret);
    expect(verifier.check(signer.sign(event))).toBeNull();
    expect(verifier.check(new EventSigner('cost-center', next.privateKey).sign(event))).toBeNull();
    // Not the development key.
    expect(
      verifier.check(new EventSigner('cost-center', developmentEventKey(secret, 'cost-center')).sign(event)),
    ).toMatchObject({ reason: 'bad signature' });
  });

  it('in development, with nothing set, derives every subgraph’s key pair from the signing secret', () => {
    const signer = eventSignerFromEnv('cost-center', {}, false, secret);
    expect(eventVerifierFromEnv('cost-center', {}, false, secret).check(signer.sign(event))).toBeNull();
    expect(
      eventVerifierFromEnv('cost-center', {}, false, Buffer.from('another secret, also 32+ characters')).check(
        signer.sign(event),
      ),
    ).toMatchObject({
      reason: 'bad signature',
    });
    expect(publicKeyOf(developmentEventKey(secret, 'car')).asymmetricKeyType).toBe('ed25519');
  });
});
