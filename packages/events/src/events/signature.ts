import { createHmac, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { EVENT_CATALOG } from './catalog';
import { eventSource, type CloudEvent } from './cloudEvent';

/**
 * Authenticated events: every event leaves its owner signed with the owner's
 * Ed25519 private key, and a consumer applies only what verifies against the
 * owner's public key. Asymmetric, so that a consumer (which holds public keys
 * only) cannot forge its owner's events, and a subgraph cannot pass its own
 * signature off as another's.
 *
 * The owner signs at egress (the feed when it serves a page, the relay when it
 * publishes), never at write time: the signature is not stored, so rotating a
 * key needs no rewrite of history, and a rebuild from the feed gets every
 * event signed with the current key. Two CloudEvents extension attributes carry
 * it: `signer` (the subgraph that signed) and `signature` (base64url Ed25519
 * over the canonical JSON of every other attribute, `signer` included).
 */

/** Why a consumer refused an event: it is dead-lettered with this reason, and moves no cursor. */
export type RejectionReason = 'unsigned' | 'bad signature' | 'wrong source';

export interface EventRejection {
  reason: RejectionReason;
  detail: string;
}

/** A CloudEvent as its owner sends it: with its signer and signature. */
export type SignedCloudEvent = CloudEvent & { signer: string; signature: string };

/** JSON with object keys sorted at every level: the same bytes whatever order a parser kept. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The bytes a signature covers: the event without its `signature`. */
export function signedBytes(event: object): Buffer {
  const { signature: _signature, ...rest } = event as Record<string, unknown>;
  return Buffer.from(canonicalJson(rest), 'utf8');
}

/** Signs a subgraph's own events (in the feed and the relay). */
export class EventSigner {
  constructor(
    readonly subgraph: string,
    private readonly key: KeyObject,
  ) {
    if (key.asymmetricKeyType !== 'ed25519' || key.type !== 'private')
      throw new Error(`the event signing key of ${subgraph} must be an Ed25519 private key`);
  }

  sign(event: CloudEvent): SignedCloudEvent {
    const unsigned = { ...event, signer: this.subgraph };
    delete (unsigned as { signature?: unknown }).signature;
    return { ...unsigned, signature: sign(null, signedBytes(unsigned), this.key).toString('base64url') };
  }
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Checks that an event is its owner's, before anything else looks at it: signed
 * (`unsigned` otherwise), by the owner, about the owner's own entities (`wrong
 * source`: another signer, another source, or a type the catalog gives to
 * another subgraph), with a signature that verifies against one of the owner's
 * public keys (`bad signature`; several keys are accepted while one is rotated).
 */
export class EventVerifier {
  constructor(
    readonly owner: string,
    private readonly keys: readonly KeyObject[],
  ) {
    if (keys.length === 0) throw new Error(`no public key to verify the events of ${owner}`);
    for (const key of keys) {
      if (key.asymmetricKeyType !== 'ed25519' || key.type !== 'public')
        throw new Error(`the event keys of ${owner} must be Ed25519 public keys`);
    }
  }

  /** null when the event is the owner's and intact; otherwise why it is refused. */
  check(event: unknown): EventRejection | null {
    if (typeof event !== 'object' || event === null || Array.isArray(event))
      return { reason: 'unsigned', detail: 'not a signed CloudEvent object' };
    const { signature, signer, source, type } = event as Record<string, unknown>;
    if (typeof signature !== 'string' || signature.length === 0)
      return { reason: 'unsigned', detail: 'the event has no signature' };
    if (signer !== this.owner)
      return { reason: 'wrong source', detail: `signed by ${JSON.stringify(signer)}, not by ${this.owner}` };
    if (source !== eventSource(this.owner))
      return { reason: 'wrong source', detail: `source ${JSON.stringify(source)} is not ${eventSource(this.owner)}` };
    // A type the catalog does not know yet (an owner newer than this consumer) is left to the handler.
    const definition = EVENT_CATALOG.find((entry) => entry.type === type);
    if (definition && definition.subgraph !== this.owner) {
      return {
        reason: 'wrong source',
        detail: `${definition.type} events belong to ${definition.subgraph}, not to ${this.owner}`,
      };
    }
    if (!BASE64URL.test(signature)) return { reason: 'bad signature', detail: 'the signature is not base64url' };
    const bytes = signedBytes(event);
    const raw = Buffer.from(signature, 'base64url');
    if (this.keys.some((key) => verify(null, bytes, key, raw))) return null;
    return {
      reason: 'bad signature',
      detail: `the signature does not verify with the public key${this.keys.length === 1 ? '' : 's'} of ${this.owner}`,
    };
  }
}

// PKCS#8 DER of an Ed25519 private key is this fixed prefix and the 32-byte seed (RFC 8410).
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * DEVELOPMENT ONLY: a subgraph's event signing key derived from the signing secret
 * (HMAC-SHA256 of the subgraph's name as the Ed25519 seed), so that with nothing
 * configured every process of a checkout (and its tests) agrees on every subgraph's
 * keys, across restarts and durable queues. Anyone holding the secret can derive
 * every subgraph's key: production configures real key pairs instead.
 */
export function developmentEventKey(secret: Buffer, subgraph: string): KeyObject {
  const seed = createHmac('sha256', secret).update(`car-check development event signing key\0${subgraph}`).digest();
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The public key of a private key. */
export const publicKeyOf = (privateKey: KeyObject): KeyObject => createPublicKey(privateKey);
