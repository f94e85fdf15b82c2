import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Who a request is for, as the gateway established it. Subgraphs trust it
 * only when it arrives signed (see {@link signIdentity}).
 */
export interface CallerIdentity {
  /** The signed-in user, or null for an anonymous caller or a service. */
  userId: string | null;
  scopes: string[];
  /** The access token's id (`jti`), so the user service can revoke it on logout. */
  tokenId: string | null;
  /** Set when a subgraph calls another subgraph on its own behalf. */
  service: string | null;
  /** The client's address as the gateway saw it (for login throttling). */
  clientIp: string | null;
}

export const ANONYMOUS: CallerIdentity = { userId: null, scopes: [], tokenId: null, service: null, clientIp: null };

export const IDENTITY_HEADER = 'x-gateway-identity';
export const SIGNATURE_HEADER = 'x-gateway-signature';
/** Headers a client must never be able to set: stripped at the gateway, trusted only when signed. */
export const IDENTITY_HEADERS = [IDENTITY_HEADER, SIGNATURE_HEADER] as const;

interface SignedPayload extends CallerIdentity {
  /** Issued at, ms since the epoch: a captured header is useless after the window. */
  iat: number;
  /** When the gateway stops waiting for the answer (ms since the epoch): work past it is wasted. */
  dl?: number;
}

const bodyDigest = (body: string | Buffer) => createHash('sha256').update(body).digest('hex');

function mac(secret: Buffer, encodedIdentity: string, body: string | Buffer): Buffer {
  // The signature covers the identity (with its timestamp) and the exact body,
  // so neither can be swapped for another while the header is still fresh.
  return createHmac('sha256', secret).update(`${encodedIdentity}.${bodyDigest(body)}`).digest();
}

/** The headers that carry `identity` (and the caller's deadline) for one request with this body. */
export function signIdentity(
  identity: CallerIdentity,
  body: string | Buffer,
  secret: Buffer,
  now = Date.now(),
  deadline?: number,
): Record<string, string> {
  const payload: SignedPayload = { ...identity, iat: now, ...(deadline !== undefined ? { dl: deadline } : {}) };
  const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return { [IDENTITY_HEADER]: encoded, [SIGNATURE_HEADER]: `v1=${mac(secret, encoded, body).toString('base64url')}` };
}

export class IdentityError extends Error {
  override readonly name = 'IdentityError';
}

/** A request the gateway signed: for whom, and until when its answer is wanted. */
export interface SignedRequest {
  caller: CallerIdentity;
  /** ms since the epoch; null when the signer set none. */
  deadline: number | null;
}

/**
 * The identity in a request's headers, if and only if the gateway signed it
 * for this very body within `maxAgeMs`. Throws {@link IdentityError} otherwise.
 */
export function verifyIdentity(
  headers: Record<string, string | string[] | undefined>,
  body: string | Buffer,
  secret: Buffer,
  maxAgeMs: number,
  now = Date.now(),
): CallerIdentity {
  return verifySignedRequest(headers, body, secret, maxAgeMs, now).caller;
}

/** {@link verifyIdentity}, with the deadline the signer set. */
export function verifySignedRequest(
  headers: Record<string, string | string[] | undefined>,
  body: string | Buffer,
  secret: Buffer,
  maxAgeMs: number,
  now = Date.now(),
): SignedRequest {
  const encoded = headers[IDENTITY_HEADER];
  const signature = headers[SIGNATURE_HEADER];
  if (typeof encoded !== 'string' || typeof signature !== 'string') throw new IdentityError('missing gateway signature');
  const presented = Buffer.from(signature.replace(/^v1=/, ''), 'base64url');
  const expected = mac(secret, encoded, body);
  if (!signature.startsWith('v1=') || presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    throw new IdentityError('invalid gateway signature');
  }
  let payload: SignedPayload;
  try {
    payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as SignedPayload;
  } catch {
    throw new IdentityError('malformed identity');
  }
  // A little tolerance for clocks that are not perfectly in step.
  if (typeof payload.iat !== 'number' || now - payload.iat > maxAgeMs || payload.iat - now > 5_000) {
    throw new IdentityError('expired gateway signature');
  }
  const caller: CallerIdentity = {
    userId: typeof payload.userId === 'string' ? payload.userId : null,
    scopes: Array.isArray(payload.scopes) ? payload.scopes.filter((s): s is string => typeof s === 'string') : [],
    tokenId: typeof payload.tokenId === 'string' ? payload.tokenId : null,
    service: typeof payload.service === 'string' ? payload.service : null,
    clientIp: typeof payload.clientIp === 'string' ? payload.clientIp : null,
  };
  return { caller, deadline: typeof payload.dl === 'number' ? payload.dl : null };
}
