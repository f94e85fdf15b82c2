import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { developmentEventKey, EventSigner, EventVerifier, publicKeyOf } from '../events/signature';
import {
  ConfigError,
  readEnv,
  subgraphRegistration,
  subgraphEventsPrivateKeyVariable,
  subgraphEventsPublicKeyVariable,
} from '@car-check/service-kit';

/**
 * The keys of authenticated events (packages/events/src/events/signature.ts), per subgraph:
 * `<SUBGRAPH>_EVENTS_PRIVATE_KEY` in the owner (it signs its own events) and
 * `<OWNER>_EVENTS_PUBLIC_KEY` in each consumer of the owner's events, PEM
 * (a value on one line may write its line breaks as `\n`). A public key value
 * may hold several PEM keys, all accepted, while a key is rotated. Both are
 * required in production; elsewhere, when unset, each subgraph's key pair is
 * derived from the signing secret (development only, see developmentEventKey).
 */
export type EventKeySource<K> = { kind: 'configured'; keys: K } | { kind: 'development' };

const pemText = (value: string) => value.replace(/\\n/g, '\n');

function parsePrivateKey(value: string): KeyObject | null {
  try {
    const key = createPrivateKey(pemText(value));
    return key.asymmetricKeyType === 'ed25519' ? key : null;
  } catch {
    return null;
  }
}

function parsePublicKeys(value: string): KeyObject[] | null {
  const blocks = pemText(value).match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g);
  if (!blocks) return null;
  try {
    const keys = blocks.map((block) => createPublicKey(block));
    return keys.every((key) => key.asymmetricKeyType === 'ed25519') ? keys : null;
  } catch {
    return null;
  }
}

/** One kind of event key: where it is configured, how it is read, and its development value. */
interface EventKeyKind<K> {
  variable: (subgraph: string) => string;
  parse: (value: string) => K | null;
  /** What the variable must hold, for error messages. */
  what: string;
  /** The subgraph's development keys, derived from the signing secret (see developmentEventKey). */
  development: (signingSecret: Buffer, subgraph: string) => K;
}

const SIGNING_KEY: EventKeyKind<KeyObject> = {
  variable: subgraphEventsPrivateKeyVariable,
  parse: parsePrivateKey,
  what: 'a PEM-encoded Ed25519 private key',
  development: developmentEventKey,
};

const VERIFYING_KEYS: EventKeyKind<KeyObject[]> = {
  variable: subgraphEventsPublicKeyVariable,
  parse: parsePublicKeys,
  what: 'one or more PEM-encoded Ed25519 public keys',
  development: (signingSecret, owner) => [publicKeyOf(developmentEventKey(signingSecret, owner))],
};

/** Where a subgraph's event keys are read: its environment, and whether it runs in production (then they are required). */
type KeyEnv = [env: NodeJS.ProcessEnv, production: boolean];
/** The same, and the signing secret the development keys derive from. */
type KeyEnvWithSecret = [...KeyEnv, signingSecret: Buffer];

function keySourceFromEnv<K>(kind: EventKeyKind<K>, subgraph: string, ...[env, production]: KeyEnv): EventKeySource<K> {
  subgraphRegistration(subgraph);
  const variable = kind.variable(subgraph);
  const raw = readEnv(
    {
      [variable]: z
        .string()
        .refine((value) => kind.parse(value) !== null, { error: `must be ${kind.what}` })
        .optional(),
    },
    env,
  ) as Record<string, string | undefined>;
  const value = raw[variable];
  if (value !== undefined) return { kind: 'configured', keys: kind.parse(value)! };
  if (production) throw new ConfigError(`Invalid configuration:\n  ${variable}: required in production (${kind.what})`);
  return { kind: 'development' };
}

/** The configured keys of that kind, else (outside production) the development ones. */
function keysFromEnv<K>(
  kind: EventKeyKind<K>,
  subgraph: string,
  ...[env, production, signingSecret]: KeyEnvWithSecret
): K {
  const source = keySourceFromEnv(kind, subgraph, env, production);
  return source.kind === 'configured' ? source.keys : kind.development(signingSecret, subgraph);
}

/** The key a subgraph signs its own events with (`<SUBGRAPH>_EVENTS_PRIVATE_KEY`). */
export const eventSigningKeyFromEnv = (subgraph: string, ...from: KeyEnv): EventKeySource<KeyObject> =>
  keySourceFromEnv(SIGNING_KEY, subgraph, ...from);

/** The keys that verify an owner's events (`<OWNER>_EVENTS_PUBLIC_KEY`). */
export const eventVerifyingKeysFromEnv = (owner: string, ...from: KeyEnv): EventKeySource<KeyObject[]> =>
  keySourceFromEnv(VERIFYING_KEYS, owner, ...from);

/** The signer of a subgraph's events; `signingSecret` derives the development key. */
export const eventSignerFromEnv = (subgraph: string, ...from: KeyEnvWithSecret): EventSigner =>
  new EventSigner(subgraph, keysFromEnv(SIGNING_KEY, subgraph, ...from));

/** The verifier of an owner's events; `signingSecret` derives the development key. */
export const eventVerifierFromEnv = (owner: string, ...from: KeyEnvWithSecret): EventVerifier =>
  new EventVerifier(owner, keysFromEnv(VERIFYING_KEYS, owner, ...from));
