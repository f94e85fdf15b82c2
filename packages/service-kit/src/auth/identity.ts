import { createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { errors as jose, jwtVerify, SignJWT } from 'jose';
import { sha256Base64 } from '../crypto/hash';

/**
 * Who a request is for, as the gateway established it. Subgraphs trust it
 * only when it arrives signed (see {@link signRequest}).
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

/**
 * The one header that carries a signed request: a compact JWS (HS256 with the
 * shared signing secret) whose claims bind the caller to this exact request.
 */
export const SIGNATURE_HEADER = 'x-gateway-signature';
/** Headers a client must never be able to set: stripped at the gateway, trusted only when signed. */
export const IDENTITY_HEADERS = [SIGNATURE_HEADER] as const;

/** The JWS `typ`: a request signature cannot be mistaken for another kind of token, nor one for it. */
const SIGNATURE_TYPE = 'gateway-request+jwt';
const ALGORITHM = 'HS256';
/** How long a signature is valid when the signer says nothing else; the verifier's own window applies too. */
export const DEFAULT_SIGNATURE_VALIDITY_MS = 30_000;
/** Clocks of the signer and the verifier may be this far apart. */
const CLOCK_SKEW_MS = 5_000;

interface RequestClaims {
  /** The service the request is for: a signature for one subgraph is refused by every other. */
  aud: string;
  /** Issued at and expiry (seconds since the epoch): a captured header is useless after the window. */
  iat: number;
  exp: number;
  /** Nonce: a subgraph accepts each once within the window. */
  jti: string;
  /** The HTTP method (as in RFC 9449's DPoP proofs). */
  htm: string;
  /** The path and query as sent: another query string is another request. */
  htu: string;
  /** RFC 9530 `Content-Digest` of the exact body bytes (of nothing, for a GET). */
  digest: string;
  caller: CallerIdentity;
  /** The request id, so a log line cannot be attributed to another request. */
  rid?: string;
  /** The request id the client chose (x-request-id), kept apart from the server's own. */
  crid?: string;
  /** When the caller stops waiting for the answer (ms since the epoch): work past it is wasted. */
  dl?: number;
  /** The client's Idempotency-Key, on mutations. */
  ik?: string;
}

/** `sha-256=:<base64>:`, the RFC 9530 Content-Digest of these bytes. */
export function contentDigest(body: string | Buffer): string {
  return `sha-256=:${sha256Base64(body)}:`;
}

// Imported once per secret: the gateway signs every subgraph fetch, a subgraph verifies every request.
const keys = new WeakMap<Buffer, KeyObject>();
function keyOf(secret: Buffer): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(secret);
    keys.set(secret, key);
  }
  return key;
}

/** The path and query an address is requested with: as given when it is one already, else as `fetch` sends it. */
export function requestTarget(url: string | URL): string {
  if (typeof url === 'string' && url.startsWith('/')) return url;
  const parsed = typeof url === 'string' ? new URL(url) : url;
  return `${parsed.pathname}${parsed.search}`;
}

/** The request a signature is for: any other method, path, query or body is another request. */
export interface RequestToSign {
  method: string;
  /** An absolute URL, or the path and query exactly as they will be sent. */
  url: string | URL;
  /** The exact body bytes; '' for none (a GET). */
  body: string | Buffer;
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
  /** How long the signature may be used (default {@link DEFAULT_SIGNATURE_VALIDITY_MS}). */
  validForMs?: number;
  now?: number;
}

/**
 * The header that carries `identity` for this one request (method, path and
 * query, body) to one service, once.
 */
export async function signRequest(
  identity: CallerIdentity,
  request: RequestToSign,
  secret: Buffer,
  options: SigningOptions,
): Promise<Record<string, string>> {
  const issuedAt = Math.floor((options.now ?? Date.now()) / 1000);
  const claims: Omit<RequestClaims, 'aud' | 'iat' | 'exp' | 'jti'> = {
    htm: request.method.toUpperCase(),
    htu: requestTarget(request.url),
    digest: contentDigest(request.body),
    caller: {
      userId: identity.userId,
      scopes: identity.scopes,
      tokenId: identity.tokenId,
      service: identity.service,
      clientIp: identity.clientIp,
    },
    ...(options.requestId !== undefined ? { rid: options.requestId } : {}),
    ...(options.clientRequestId !== undefined ? { crid: options.clientRequestId } : {}),
    ...(options.deadline !== undefined && Number.isFinite(options.deadline) ? { dl: options.deadline } : {}),
    ...(options.idempotencyKey !== undefined ? { ik: options.idempotencyKey } : {}),
  };
  const token = await new SignJWT({ ...claims })
    .setProtectedHeader({ alg: ALGORITHM, typ: SIGNATURE_TYPE })
    .setAudience(options.audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + Math.ceil((options.validForMs ?? DEFAULT_SIGNATURE_VALIDITY_MS) / 1000))
    .setJti(randomBytes(16).toString('base64url'))
    .sign(keyOf(secret));
  return { [SIGNATURE_HEADER]: token };
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

/** The request as this service received it. */
export interface ReceivedRequest {
  method: string;
  /** The path and query exactly as received (Express's `req.originalUrl`). */
  target: string;
  /** The exact body bytes; empty when there was none. */
  body: string | Buffer;
}

export interface VerifyOptions {
  /** This service's name: signatures for another audience are refused. */
  audience: string;
  maxAgeMs: number;
  now?: number;
}

/** Why jose refused a token, in words for the log (never for the caller). */
function refusal(error: unknown): IdentityError {
  if (error instanceof jose.JWTExpired) return new IdentityError('expired gateway signature');
  if (error instanceof jose.JWTClaimValidationFailed && error.claim === 'aud')
    return new IdentityError('signature for another service');
  if (error instanceof jose.JWSSignatureVerificationFailed) return new IdentityError('invalid gateway signature');
  return new IdentityError(`malformed gateway signature${error instanceof jose.JOSEError ? ` (${error.code})` : ''}`);
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * The signed request in these headers, if and only if it was signed with
 * `secret` for this very request (method, path and query, body), for this
 * service, within `maxAgeMs`. Throws {@link IdentityError} otherwise.
 * Replays within the window are the caller's to refuse, by claiming the nonce.
 */
export async function verifySignedRequest(
  headers: Record<string, string | string[] | undefined>,
  request: ReceivedRequest,
  secret: Buffer,
  options: VerifyOptions,
): Promise<SignedRequest> {
  const now = options.now ?? Date.now();
  const token = headers[SIGNATURE_HEADER];
  if (typeof token !== 'string') throw new IdentityError('missing gateway signature');
  let claims: Partial<RequestClaims>;
  try {
    ({ payload: claims } = await jwtVerify<Partial<RequestClaims>>(token, keyOf(secret), {
      algorithms: [ALGORITHM],
      typ: SIGNATURE_TYPE,
      audience: options.audience,
      requiredClaims: ['iat', 'exp', 'jti'],
      currentDate: new Date(now),
      clockTolerance: CLOCK_SKEW_MS / 1000,
    }));
  } catch (error) {
    throw refusal(error);
  }
  // jose checks `exp`; the verifier's own window bounds a signature's age whatever the signer allowed.
  const issuedAt = (claims.iat ?? 0) * 1000;
  if (now - issuedAt > options.maxAgeMs) throw new IdentityError('expired gateway signature');
  if (issuedAt - now > CLOCK_SKEW_MS) throw new IdentityError('gateway signature from the future');
  // A list of audiences would be valid for each of them: only this service's name is.
  if (claims.aud !== options.audience) throw new IdentityError('signature for another service');
  if (typeof claims.jti !== 'string' || claims.jti.length < 16) throw new IdentityError('signature without a nonce');
  if (claims.htm !== request.method.toUpperCase()) throw new IdentityError('signature for another method');
  if (claims.htu !== request.target) throw new IdentityError('signature for another path or query');
  if (claims.digest !== contentDigest(request.body)) throw new IdentityError('signature for another body');
  const signed: Partial<CallerIdentity> =
    typeof claims.caller === 'object' && claims.caller !== null ? claims.caller : {};
  const caller: CallerIdentity = {
    userId: text(signed.userId),
    scopes: Array.isArray(signed.scopes) ? signed.scopes.filter((s): s is string => typeof s === 'string') : [],
    tokenId: text(signed.tokenId),
    service: text(signed.service),
    clientIp: text(signed.clientIp),
  };
  return {
    caller,
    deadline: typeof claims.dl === 'number' ? claims.dl : null,
    requestId: text(claims.rid),
    clientRequestId: text(claims.crid),
    idempotencyKey: text(claims.ik),
    nonce: claims.jti,
    validUntil: issuedAt + options.maxAgeMs,
  };
}
