import path from 'node:path';
import { z } from 'zod';
import { developmentSecret } from '../auth/secrets';
import { ConfigError, readEnv } from './env';

/** Where the HMAC secret that signs caller identities comes from. */
export type SigningSecretSource =
  | { kind: 'configured'; secret: Buffer }
  /** Development only: generated once and kept under DATA_DIR, shared by the services of a checkout. */
  | { kind: 'development'; dataDir: string };

export interface SigningConfig {
  source: SigningSecretSource;
  /** How old a signed identity may be before it is refused (replay window). */
  maxAgeMs: number;
}

/**
 * GATEWAY_SIGNING_SECRET is shared by the gateway and every subgraph. It is
 * required in production; elsewhere a generated development secret is used.
 */
export function signingConfigFromEnv(env: NodeJS.ProcessEnv, production: boolean): SigningConfig {
  const raw = readEnv(
    {
      GATEWAY_SIGNING_SECRET: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
      IDENTITY_MAX_AGE_MS: z.coerce.number().int().min(1_000).max(300_000).default(30_000),
      DATA_DIR: z.string().default('.data'),
    },
    env,
  );
  if (raw.GATEWAY_SIGNING_SECRET) {
    return {
      source: { kind: 'configured', secret: Buffer.from(raw.GATEWAY_SIGNING_SECRET) },
      maxAgeMs: raw.IDENTITY_MAX_AGE_MS,
    };
  }
  if (production) {
    throw new ConfigError(
      'Invalid configuration:\n  GATEWAY_SIGNING_SECRET: required in production (at least 32 characters)',
    );
  }
  return { source: { kind: 'development', dataDir: path.resolve(raw.DATA_DIR) }, maxAgeMs: raw.IDENTITY_MAX_AGE_MS };
}

export async function resolveSigningSecret(source: SigningSecretSource): Promise<Buffer> {
  return source.kind === 'configured' ? source.secret : developmentSecret(source.dataDir, 'gateway-signing.key');
}
