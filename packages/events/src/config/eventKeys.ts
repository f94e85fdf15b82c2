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

function readKey<K>(
  variable: string,
  parse: (value: string) => K | null,
  what: string,
  env: NodeJS.ProcessEnv,
  production: boolean,
): EventKeySource<K> {
  const raw = readEnv(
    {
      [variable]: z
        .string()
        .refine((value) => parse(value) !== null, { error: `must be ${what}` })
        .optional(),
    },
    env,
  ) as Record<string, string | undefined>;
  const value = raw[variable];
  if (value !== undefined) return { kind: 'configured', keys: parse(value)! };
  if (production) throw new ConfigError(`Invalid configuration:\n  ${variable}: required in production (${what})`);
  return { kind: 'development' };
}

/** The key a subgraph signs its own events with (`<SUBGRAPH>_EVENTS_PRIVATE_KEY`). */
export function eventSigningKeyFromEnv(
  subgraph: string,
  env: NodeJS.ProcessEnv,
  production: boolean,
): EventKeySource<KeyObject> {
  subgraphRegistration(subgraph);
  return readKey(
    subgraphEventsPrivateKeyVariable(subgraph),
    parsePrivateKey,
    'a PEM-encoded Ed25519 private key',
    env,
    production,
  );
}

/** The keys that verify an owner's events (`<OWNER>_EVENTS_PUBLIC_KEY`). */
export function eventVerifyingKeysFromEnv(
  owner: string,
  env: NodeJS.ProcessEnv,
  production: boolean,
): EventKeySource<KeyObject[]> {
  subgraphRegistration(owner);
  return readKey(
    subgraphEventsPublicKeyVariable(owner),
    parsePublicKeys,
    'one or more PEM-encoded Ed25519 public keys',
    env,
    production,
  );
}

/** The signer of a subgraph's events; `signingSecret` derives the development key. */
export function eventSignerFromEnv(
  subgraph: string,
  env: NodeJS.ProcessEnv,
  production: boolean,
  signingSecret: Buffer,
): EventSigner {
  const source = eventSigningKeyFromEnv(subgraph, env, production);
  return new EventSigner(
    subgraph,
    source.kind === 'configured' ? source.keys : developmentEventKey(signingSecret, subgraph),
  );
}

/** The verifier of an owner's events; `signingSecret` derives the development key. */
export function eventVerifierFromEnv(
  owner: string,
  env: NodeJS.ProcessEnv,
  production: boolean,
  signingSecret: Buffer,
): EventVerifier {
  const source = eventVerifyingKeysFromEnv(owner, env, production);
  return new EventVerifier(
    owner,
    source.kind === 'configured' ? source.keys : [publicKeyOf(developmentEventKey(signingSecret, owner))],
  );
}
