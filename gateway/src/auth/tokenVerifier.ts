import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ANONYMOUS, signIdentity, type CallerIdentity } from '../../../common/auth/identity';
import { TOKEN_ALGORITHM, type TokenStatus } from '../../../common/auth/tokens';
import type { Logger } from '../../../common/logging/logger';

export interface TokenVerifierOptions {
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

/**
 * Verifies access tokens: the signature against the user service's published
 * keys (EdDSA only: `alg: none`, HMAC and any other algorithm are refused),
 * issuer, audience and expiry; then asks the user service whether the token is
 * still live (not revoked, user still active) and what the user may do now.
 * That answer is cached for `statusCacheMs`, which bounds how long a revoked
 * token keeps working.
 */
export class TokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  private readonly statuses = new Map<string, { status: TokenStatus; until: number }>();

  constructor(private readonly options: TokenVerifierOptions) {
    this.keys = createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: options.timeoutMs, cooldownDuration: 5_000 });
  }

  async verify(token: string, clientIp: string | null): Promise<CallerIdentity> {
    let subject: string;
    let tokenId: string;
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        algorithms: [TOKEN_ALGORITHM],
        issuer: this.options.issuer,
        audience: this.options.audience,
        requiredClaims: ['sub', 'jti', 'exp', 'iat'],
      });
      subject = payload.sub!;
      tokenId = payload.jti!;
    } catch (error) {
      // jose reports every problem with the token itself as a JOSEError; anything
      // else (a network failure fetching the keys) says nothing about the token.
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid || !(error instanceof joseErrors.JOSEError)) {
        throw new TokenStatusUnavailable(`cannot fetch signing keys: ${message}`);
      }
      throw new TokenRejected(message);
    }
    const status = await this.status(tokenId, subject);
    if (!status.active) throw new TokenRejected('token revoked, expired, or its user deactivated');
    return { ...ANONYMOUS, userId: subject, tokenId, scopes: status.scopes, clientIp };
  }

  private async status(tokenId: string, userId: string): Promise<TokenStatus> {
    const cached = this.statuses.get(tokenId);
    if (cached && cached.until > Date.now()) return cached.status;
    const body = JSON.stringify({ tokenId, userId });
    let response: Response;
    try {
      response = await fetch(this.options.tokenStatusUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signIdentity({ ...ANONYMOUS, service: 'gateway' }, body, this.options.signingSecret) },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw new TokenStatusUnavailable(`token status unreachable: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!response.ok) throw new TokenStatusUnavailable(`token status answered HTTP ${response.status}`);
    const status = (await response.json()) as TokenStatus;
    this.prune();
    this.statuses.set(tokenId, { status, until: Date.now() + this.options.statusCacheMs });
    return status;
  }

  // Bounded memory: forget answers that are no longer used.
  private prune(): void {
    if (this.statuses.size < 10_000) return;
    const now = Date.now();
    for (const [key, entry] of this.statuses) if (entry.until <= now) this.statuses.delete(key);
  }
}
