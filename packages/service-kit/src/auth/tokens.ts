/** Defaults both the issuer (user service) and the verifier (gateway) agree on. */
export const DEFAULT_TOKEN_ISSUER = 'urn:car-check:user-service';
export const DEFAULT_TOKEN_AUDIENCE = 'urn:car-check:graph';
/** The only algorithm tokens are signed with, and the only one accepted. */
export const TOKEN_ALGORITHM = 'EdDSA';

export const JWKS_PATH = '/.well-known/jwks.json';
export const TOKEN_STATUS_PATH = '/internal/token-status';

/** What the user service says about a token the gateway has verified. */
export interface TokenStatus {
  active: boolean;
  /** The user's current scopes (from their groups now, not when the token was issued). */
  scopes: string[];
}

/** The service that answers token status: what the gateway's signature on a status request is for. */
export const TOKEN_STATUS_AUDIENCE = 'user';
