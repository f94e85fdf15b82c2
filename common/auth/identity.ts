import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

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

/**
 * Who a caller is as far as an answer can tell (user, service, scopes; not the
 * token or the address): callers with the same key may share an answer.
 */
export function callerKey(caller: CallerIdentity): string {
  return `${caller.userId ?? ''}|${caller.service ?? ''}|${[...caller.scopes].sort().join(',')}`;
}

export const IDENTITY_HEADER = 'x-gateway-identity';
export const SIGNATURE_HEADER = 'x-gateway-signature';
/** Headers a client must never be able to set: stripped at the gateway, trusted only when signed. */
export const IDENTITY_HEADERS = [IDENTITY_HEADER, SIGNATURE_HEADER] as const;

interface SignedPayload extends CallerIdentity {
  /** Issued at, ms since the epoch: a captured header is useless after the window. */
  iat: number;
  /** The service the request is for: a signature for one subgraph is refused by every other. */
  aud: string;
  /** Single use: a subgraph accepts each nonce once within the window. */
  n: string;
  /** The request id, so a log line cannot be attributed to another request. */
  rid?: string;
  /** The request id the client chose (x-request-id), kept apart from the server's own. */
  crid?: string;
  /** When the caller stops waiting for the answer (ms since the epoch): work past it is wasted. */
  dl?: number;
  /** The client's Idempotency-Key, on mutations. */
  ik?: string;
}

const bodyDigest = (body: string | Buffer) => createHash('sha256').update(body).digest('hex');

function mac(secret: Buffer, encodedIdentity: string, body: string | Buffer): Buffer {
  // The signature covers the identity (with its timestamp, audience, nonce, request id and
  // deadline) and the exact body, so none can be swapped for another while the header is fresh.
  return createHmac('sha256', secret).update(`${encodedIdentity}.${bodyDigest(body)}`).digest();
}

export interface SigningOptions {
  /** The service that will receive the request (its name in supergraph.yaml, or `user` for token status). */
  audience: string;
  requestId?: string;
  /** The client's own request id, when it sent one. */
  clientRequestId?: string;
  /** ms since the epoch. */
  deadline?: number;
  /** The client's Idempotency-Key, passed on with a mutation. */
  idempotencyKey?: string;
  now?: number;
}

/** The headers that carry `identity` for one request with this body, to one service, once. */
export function signIdentity(identity: CallerIdentity, body: string | Buffer, secret: Buffer, options: SigningOptions): Record<string, string> {
  const payload: SignedPayload = {
    ...identity,
    iat: options.now ?? Date.now(),
    aud: options.audience,
    n: randomBytes(16).toString('base64url'),
    ...(options.requestId !== undefined ? { rid: options.requestId } : {}),
    ...(options.clientRequestId !== undefined ? { crid: options.clientRequestId } : {}),
    ...(options.deadline !== undefined && Number.isFinite(options.deadline) ? { dl: options.deadline } : {}),
    ...(options.idempotencyKey !== undefined ? { ik: options.idempotencyKey } : {}),
  };
  const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return { [IDENTITY_HEADER]: encoded, [SIGNATURE_HEADER]: `v1=${mac(secret, encoded, body).toString('base64url')}` };
}

export class IdentityError extends Error {
  override readonly name = 'IdentityError';
}

/** A request signed for this service: for whom, under which request id, until when its answer is wanted. */
export interface SignedRequest {
  caller: CallerIdentity;
  /** ms since the epoch; null when the signer set none. */
  deadline: number | null;
  requestId: string | null;
  /** The request id the client chose, when it sent one. */
  clientRequestId: string | null;
  idempotencyKey: string | null;
  /** Claim it once (see NonceStore) to refuse a replay. */
  nonce: string;
  /** When the signature stops being accepted anyway (ms since the epoch): how long to remember the nonce. */
  validUntil: number;
}

export interface VerifyOptions {
  /** This service's name: signatures for another audience are refused. */
  audience: string;
  maxAgeMs: number;
  now?: number;
}

/**
 * The signed request in these headers, if and only if it was signed with
 * `secret`, for this very body, for this service, within `maxAgeMs`. Throws
 * {@link IdentityError} otherwise. Replays within the window are the
 * caller's to refuse, by claiming the nonce.
 */
export function verifySignedRequest(
  headers: Record<string, string | string[] | undefined>,
  body: string | Buffer,
  secret: Buffer,
  options: VerifyOptions,
): SignedRequest {
  const now = options.now ?? Date.now();
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
  if (typeof payload.iat !== 'number' || now - payload.iat > options.maxAgeMs || payload.iat - now > 5_000) {
    throw new IdentityError('expired gateway signature');
  }
  if (payload.aud !== options.audience) throw new IdentityError('signature for another service');
  if (typeof payload.n !== 'string' || payload.n.length < 16) throw new IdentityError('signature without a nonce');
  const caller: CallerIdentity = {
    userId: typeof payload.userId === 'string' ? payload.userId : null,
    scopes: Array.isArray(payload.scopes) ? payload.scopes.filter((s): s is string => typeof s === 'string') : [],
    tokenId: typeof payload.tokenId === 'string' ? payload.tokenId : null,
    service: typeof payload.service === 'string' ? payload.service : null,
    clientIp: typeof payload.clientIp === 'string' ? payload.clientIp : null,
  };
  return {
    caller,
    deadline: typeof payload.dl === 'number' ? payload.dl : null,
    requestId: typeof payload.rid === 'string' ? payload.rid : null,
    clientRequestId: typeof payload.crid === 'string' ? payload.crid : null,
    idempotencyKey: typeof payload.ik === 'string' ? payload.ik : null,
    nonce: payload.n,
    validUntil: payload.iat + options.maxAgeMs,
  };
}
