import { createPrivateKey } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, DEFAULT_TOKEN_AUDIENCE, DEFAULT_TOKEN_ISSUER, nodeEnv, readEnv } from '@car-check/common';

export interface AuthConfig {
  issuer: string;
  audience: string;
  tokenTtlSeconds: number;
  /** PEM of the Ed25519 signing key; null in development, where one is generated under DATA_DIR. */
  privateKeyPem: string | null;
  dataDir: string;
  /** Failed logins per username before refusing it for `lockoutSeconds`. */
  maxFailuresPerUser: number;
  /** Failed logins per client address before refusing it for `lockoutSeconds`. */
  maxFailuresPerClient: number;
  lockoutSeconds: number;
}

/** The user service's token settings; refuses to start in production without a signing key. */
export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const raw = readEnv(
    {
      NODE_ENV: nodeEnv(),
      JWT_ISSUER: z.string().min(1).default(DEFAULT_TOKEN_ISSUER),
      JWT_AUDIENCE: z.string().min(1).default(DEFAULT_TOKEN_AUDIENCE),
      TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3_600),
      JWT_PRIVATE_KEY: z
        .string()
        .refine(isEd25519PrivateKey, { error: 'must be a PEM-encoded Ed25519 private key' })
        .optional(),
      DATA_DIR: z.string().default('.data'),
      LOGIN_MAX_FAILURES_PER_USER: z.coerce.number().int().min(1).default(5),
      LOGIN_MAX_FAILURES_PER_CLIENT: z.coerce.number().int().min(1).default(20),
      LOGIN_LOCKOUT_SECONDS: z.coerce.number().int().min(1).default(900),
    },
    env,
  );
  if (raw.NODE_ENV === 'production' && !raw.JWT_PRIVATE_KEY) {
    throw new ConfigError('Invalid configuration:\n  JWT_PRIVATE_KEY: required in production (PEM-encoded Ed25519 private key)');
  }
  return {
    issuer: raw.JWT_ISSUER,
    audience: raw.JWT_AUDIENCE,
    tokenTtlSeconds: raw.TOKEN_TTL_SECONDS,
    privateKeyPem: raw.JWT_PRIVATE_KEY?.replace(/\\n/g, '\n') ?? null,
    dataDir: path.resolve(raw.DATA_DIR),
    maxFailuresPerUser: raw.LOGIN_MAX_FAILURES_PER_USER,
    maxFailuresPerClient: raw.LOGIN_MAX_FAILURES_PER_CLIENT,
    lockoutSeconds: raw.LOGIN_LOCKOUT_SECONDS,
  };
}

function isEd25519PrivateKey(pem: string): boolean {
  try {
    return createPrivateKey(pem.replace(/\\n/g, '\n')).asymmetricKeyType === 'ed25519';
  } catch {
    return false;
  }
}

/** The password demo users get: SEED_PASSWORD, or `dev-password` outside production only. */
export function seedPasswordFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const raw = readEnv({ NODE_ENV: nodeEnv(), SEED_PASSWORD: z.string().min(8).optional() }, env);
  if (raw.SEED_PASSWORD) return raw.SEED_PASSWORD;
  if (raw.NODE_ENV === 'production') {
    throw new ConfigError('Invalid configuration:\n  SEED_PASSWORD: required to seed users in production');
  }
  return 'dev-password';
}
