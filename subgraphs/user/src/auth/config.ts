import { createPrivateKey } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, DEFAULT_TOKEN_AUDIENCE, DEFAULT_TOKEN_ISSUER, nodeEnv, readEnv } from '@car-check/service-kit';

export interface AuthConfig {
  issuer: string;
  audience: string;
  tokenTtlSeconds: number;
  /** PEM of the Ed25519 signing key; null in development, where one is generated under DATA_DIR. */
  privateKeyPem: string | null;
  dataDir: string;
  /** Failed sign-ins at one username (from one address, and from all its unknown addresses together) before attempts must wait. */
  maxFailuresPerUser: number;
  /** Failed sign-ins from one address, at usernames it is not known for, before attempts must wait. */
  maxFailuresPerClient: number;
  /** The first wait past those failures; each further failure doubles it. */
  firstDelaySeconds: number;
  /** The longest wait, and how long failures are remembered after the last one. */
  lockoutSeconds: number;
  /** How long an address a username signed in from stays known (spared the waits others' guesses cause). */
  knownAddressDays: number;
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
      LOGIN_MAX_FAILURES_PER_CLIENT: z.coerce.number().int().min(1).default(50),
      LOGIN_FIRST_DELAY_SECONDS: z.coerce.number().int().min(1).max(3_600).default(5),
      LOGIN_LOCKOUT_SECONDS: z.coerce.number().int().min(1).default(900),
      LOGIN_KNOWN_ADDRESS_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    },
    env,
  );
  if (raw.NODE_ENV === 'production' && !raw.JWT_PRIVATE_KEY) {
    throw new ConfigError(
      'Invalid configuration:\n  JWT_PRIVATE_KEY: required in production (PEM-encoded Ed25519 private key)',
    );
  }
  return {
    issuer: raw.JWT_ISSUER,
    audience: raw.JWT_AUDIENCE,
    tokenTtlSeconds: raw.TOKEN_TTL_SECONDS,
    privateKeyPem: raw.JWT_PRIVATE_KEY?.replace(/\\n/g, '\n') ?? null,
    dataDir: path.resolve(raw.DATA_DIR),
    maxFailuresPerUser: raw.LOGIN_MAX_FAILURES_PER_USER,
    maxFailuresPerClient: raw.LOGIN_MAX_FAILURES_PER_CLIENT,
    firstDelaySeconds: raw.LOGIN_FIRST_DELAY_SECONDS,
    lockoutSeconds: raw.LOGIN_LOCKOUT_SECONDS,
    knownAddressDays: raw.LOGIN_KNOWN_ADDRESS_DAYS,
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
