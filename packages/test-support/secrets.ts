import { generateKeyPairSync, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import {
  subgraphEventsPrivateKeyVariable,
  subgraphEventsPublicKeyVariable,
  subgraphNames,
} from '@car-check/service-kit';

/** Secrets and keys made fresh for one test run; nothing is read from or written to the repo. */
/** GATEWAY_SIGNING_SECRET as configured, and the bytes the services use. */
export const TEST_SIGNING_SECRET_TEXT = randomBytes(32).toString('hex');
export const TEST_SIGNING_SECRET = Buffer.from(TEST_SIGNING_SECRET_TEXT);

export const TEST_JWT_PRIVATE_KEY = generateKeyPairSync('ed25519')
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

/**
 * DATA_DIR of the services in tests: a fresh name, not made here. Whatever writes under it (the
 * development keys, an on-disk database) makes it; the in-memory databases of most suites never do,
 * so a test file leaves no empty folder behind.
 */
export const TEST_DATA_DIR = path.join(os.tmpdir(), `car-check-test-${randomBytes(6).toString('hex')}`);

/** MANAGEMENT_TOKEN of every service in tests: reads `/ready`'s details and `/metrics` (see management.ts). */
export const TEST_MANAGEMENT_TOKEN = randomBytes(32).toString('hex');

/** The password of every seeded user in tests. */
export const TEST_SEED_PASSWORD = 'test-password-1';

/** The environment the services see in tests. */
export const TEST_ENV: NodeJS.ProcessEnv = {
  NODE_ENV: 'test',
  JWT_PRIVATE_KEY: TEST_JWT_PRIVATE_KEY,
  DATA_DIR: TEST_DATA_DIR,
  SEED_PASSWORD: TEST_SEED_PASSWORD,
  GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET_TEXT,
  MANAGEMENT_TOKEN: TEST_MANAGEMENT_TOKEN,
  // Fewer attempts than in production, so the brute-force test stays short.
  LOGIN_MAX_FAILURES_PER_USER: '3',
  // Tests fire bursts from one user; the rate-limit test sets its own small limit.
  RATE_LIMIT_PER_MINUTE: '1000000',
};

/**
 * Event signing keys as production configures them (a key pair per subgraph: its private key,
 * and its public key for its consumers), for tests that run with NODE_ENV=production. Other
 * tests use the development keys derived from the signing secret.
 */
export const TEST_EVENT_KEYS_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  subgraphNames().flatMap((name) => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    return [
      [subgraphEventsPrivateKeyVariable(name), privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()],
      [subgraphEventsPublicKeyVariable(name), publicKey.export({ type: 'spki', format: 'pem' }).toString()],
    ];
  }),
);
