import { type Context, SpanKind, trace } from '@opentelemetry/api';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import {
  ANONYMOUS,
  type CallerIdentity,
  type Logger,
  parentForCall,
  setSpanOutcome,
  signRequest,
  TOKEN_ALGORITHM,
  TOKEN_STATUS_AUDIENCE,
  type TokenStatus,
  TRACE_ATTRIBUTES,
  traceHeaders,
  tracerFor,
} from '@car-check/service-kit';

interface TokenVerifierOptions {
  jwksUrl: string;
  tokenStatusUrl: string;
  issuer: string;
  audience: string;
  /** How long a token's status (revoked? user active? scopes) is trusted before asking again. */
  statusCacheMs: number;
  signingSecret: Buffer;
  timeoutMs: number;
  log: Logger;
}

/** Why a bearer token was refused (never sent to the client in detail). */
export class TokenRejected extends Error {
  override readonly name = 'TokenRejected';
}

/** The user service could not say whether a token is still valid. */
export class TokenStatusUnavailable extends Error {
  override readonly name = 'TokenStatusUnavailable';
}

const tracer = tracerFor('gateway');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A token whose signature has been verified, and until when its status may be trusted. */
interface VerifiedToken {
  userId: string;
  tokenId: string;
  scopes: string[];
  expiresAt: number;
  statusUntil: number;
}

/**
 * Verifies access tokens: the signature against the user service's published
 * keys (EdDSA only: `alg: none`, HMAC and any other algorithm are refused),
 * issuer, audience and expiry; then asks the user service whether the token is
 * still live (not revoked, user still active) and what the user may do now.
 *
 * A verified token is remembered until it expires, so the signature is
 * checked once per token rather than once per request; its status is asked
 * again after `statusCacheMs`, which bounds how long a revoked token keeps
 * working. Concurrent requests with the same token share one status call.
 */
export class TokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  private readonly verified = new LRUCache<string, VerifiedToken>({ max: 20_000 });
  private readonly pending = new Map<string, Promise<TokenStatus>>();

  constructor(private readonly options: TokenVerifierOptions) {
    this.keys = createRemoteJWKSet(new URL(options.jwksUrl), {
      timeoutDuration: options.timeoutMs,
      cooldownDuration: 5_000,
    });
  }

  /** The user of a token already verified and still in good standing, without any work; else null. */
  knownUser(token: string): string | null {
    const known = this.verified.peek(token);
    const now = Date.now();
    return known && known.expiresAt > now && known.statusUntil > now ? known.userId : null;
  }

  /** `requestTrace`: the request's trace, which a status call joins when no span is active (nothing records). */
  async verify(token: string, clientIp: string | null, requestTrace?: Context): Promise<CallerIdentity> {
    const now = Date.now();
    let known = this.verified.get(token);
    if (!known || known.expiresAt <= now) {
      this.verified.delete(token);
      known = { ...(await this.verifySignature(token)), scopes: [], statusUntil: 0 };
    }
    if (known.statusUntil <= now) {
      const status = await this.status(known.tokenId, known.userId, requestTrace);
      if (!status.active) {
        this.verified.delete(token);
        throw new TokenRejected('token revoked, expired, or its user deactivated');
      }
      known = { ...known, scopes: status.scopes, statusUntil: Date.now() + this.options.statusCacheMs };
      this.verified.set(token, known);
    }
    return { ...ANONYMOUS, userId: known.userId, tokenId: known.tokenId, scopes: known.scopes, clientIp };
  }

  private async verifySignature(token: string): Promise<{ userId: string; tokenId: string; expiresAt: number }> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        algorithms: [TOKEN_ALGORITHM],
        issuer: this.options.issuer,
        audience: this.options.audience,
        requiredClaims: ['sub', 'jti', 'exp', 'iat'],
      });
      // The user service issues UUIDs; a signed token naming anything else is not one of its tokens.
      if (!UUID.test(payload.sub!) || !UUID.test(payload.jti!))
        throw new TokenRejected('token subject or id is not a UUID');
      return { userId: payload.sub!, tokenId: payload.jti!, expiresAt: payload.exp! * 1000 };
    } catch (error) {
      if (error instanceof TokenRejected) throw error;
      // jose reports every problem with the token itself as a JOSEError; anything
      // else (a network failure fetching the keys) says nothing about the token.
      const message = error instanceof Error ? error.message : String(error);
      if (
        error instanceof joseErrors.JWKSTimeout ||
        error instanceof joseErrors.JWKSInvalid ||
        !(error instanceof joseErrors.JOSEError)
      ) {
        throw new TokenStatusUnavailable(`cannot fetch signing keys: ${message}`);
      }
      throw new TokenRejected(message);
    }
  }

  private status(tokenId: string, userId: string, requestTrace: Context | undefined): Promise<TokenStatus> {
    let pending = this.pending.get(tokenId);
    if (!pending) {
      pending = this.fetchStatus(tokenId, userId, requestTrace).finally(() => this.pending.delete(tokenId));
      this.pending.set(tokenId, pending);
    }
    return pending;
  }

  /**
   * Asks the user service, in a CLIENT span of the request that needed it
   * (concurrent requests with the same token share the first one's call, and
   * so its trace).
   */
  private async fetchStatus(tokenId: string, userId: string, requestTrace: Context | undefined): Promise<TokenStatus> {
    const parent = parentForCall(requestTrace);
    const span = tracer.startSpan('token status', { kind: SpanKind.CLIENT }, parent);
    if (span.isRecording()) {
      span.setAttribute(TRACE_ATTRIBUTES.service, 'gateway');
      span.setAttribute(TRACE_ATTRIBUTES.subgraph, TOKEN_STATUS_AUDIENCE);
    }
    try {
      const status = await this.askStatus(tokenId, userId, traceHeaders(trace.setSpan(parent, span)));
      setSpanOutcome(span, 'OK');
      return status;
    } catch (error) {
      setSpanOutcome(span, error instanceof TokenRejected ? 'UNAUTHENTICATED' : 'UNAVAILABLE');
      throw error;
    } finally {
      span.end();
    }
  }

  private async askStatus(tokenId: string, userId: string, tracing: Record<string, string>): Promise<TokenStatus> {
    const body = JSON.stringify({ tokenId, userId });
    let response: Response;
    try {
      response = await fetch(this.options.tokenStatusUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...tracing,
          ...(await signRequest(
            { ...ANONYMOUS, service: 'gateway' },
            { method: 'POST', url: this.options.tokenStatusUrl, body },
            this.options.signingSecret,
            {
              audience: TOKEN_STATUS_AUDIENCE,
            },
          )),
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw new TokenStatusUnavailable(
        `token status unreachable: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    // A 400 says the question itself was malformed: the token is no good, the service is fine.
    if (response.status === 400) throw new TokenRejected(`token status answered HTTP ${response.status}`);
    if (!response.ok) throw new TokenStatusUnavailable(`token status answered HTTP ${response.status}`);
    return (await response.json()) as TokenStatus;
  }
}
