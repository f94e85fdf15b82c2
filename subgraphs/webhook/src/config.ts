import { consumerSettingsFromEnv } from '@car-check/events';
import { ConfigError, flag, readEnv } from '@car-check/service-kit';
import { subgraphConfigFromEnv, type SubgraphConfig, type SubgraphConfigSpec } from '@car-check/subgraph-kit';
import { z } from 'zod';

/** The subgraphs whose events it delivers. */
export const EVENT_OWNERS = ['car', 'cost-center', 'user'] as const;

export const WEBHOOK_SUBGRAPH: SubgraphConfigSpec = {
  name: 'webhook',
  dataFolder: 'webhook',
  // It calls no subgraph synchronously; it reads the owners' event feeds (see delivery/consumers.ts).
  peers: ['car', 'cost-center', 'user'],
  consumes: EVENT_OWNERS,
  defaultSchema: 'webhook',
};

/** The delivery settings, read once at set-up (after the subgraph's own). */
export interface WebhookSettings {
  /** WEBHOOK_SECRETS_KEY: 32 bytes (base64 or hex) the endpoints' secrets are encrypted under; null: derived (development). */
  secretsKey: Buffer | null;
  /** WEBHOOK_ALLOW_PRIVATE_URLS: deliver to http:// and private, loopback addresses (default: on outside production). */
  allowPrivateUrls: boolean;
  /** WEBHOOK_TIMEOUT_MS: how long one attempt may take. */
  timeoutMs: number;
  /** WEBHOOK_CONCURRENCY_PER_ENDPOINT: attempts in flight to one endpoint at once. */
  concurrencyPerEndpoint: number;
  /** WEBHOOK_POLL_MS: how often the dispatcher looks for due deliveries when nothing woke it. */
  pollMs: number;
  /** WEBHOOK_LEASE_MS: how long an instance owns a delivery it is sending; after it another instance retries it. */
  leaseMs: number;
  /** WEBHOOK_RESPONSE_BODY_LIMIT: bytes of a response body kept in the delivery log. */
  responseBodyLimit: number;
}

const secretsKey = z
  .string()
  .transform((value, ctx) => {
    const bytes = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
    if (bytes.length !== 32) {
      ctx.addIssue({ code: 'custom', message: 'must be 32 bytes, base64 or hex (openssl rand -base64 32)' });
      return z.NEVER;
    }
    return bytes;
  })
  .optional();

export function webhookSettingsFromEnv(env: NodeJS.ProcessEnv, production: boolean): WebhookSettings {
  const raw = readEnv(
    {
      WEBHOOK_SECRETS_KEY: secretsKey.describe(
        'AES-256 key (32 bytes, base64 or hex) webhook endpoint secrets are stored encrypted under; **required in production**; elsewhere derived from the signing secret',
      ),
      WEBHOOK_ALLOW_PRIVATE_URLS: flag(!production).describe(
        'let webhook endpoints be http:// and loopback or private addresses (e.g. http://127.0.0.1); default on outside production, refused in production',
      ),
      WEBHOOK_TIMEOUT_MS: z.coerce
        .number()
        .int()
        .min(100)
        .max(60_000)
        .default(10_000)
        .describe('how long one webhook delivery attempt may take'),
      WEBHOOK_CONCURRENCY_PER_ENDPOINT: z.coerce
        .number()
        .int()
        .min(1)
        .max(100)
        .default(16)
        .describe('webhook attempts in flight to one endpoint at once, per instance'),
      WEBHOOK_POLL_MS: z.coerce
        .number()
        .int()
        .min(10)
        .max(60_000)
        .default(500)
        .describe('how often the webhook dispatcher looks for due deliveries when nothing woke it'),
      WEBHOOK_LEASE_MS: z.coerce
        .number()
        .int()
        .min(1_000)
        .max(3_600_000)
        .default(60_000)
        .describe(
          'how long an instance owns a delivery it sends; after it (a killed instance), another sends it again',
        ),
      WEBHOOK_RESPONSE_BODY_LIMIT: z.coerce
        .number()
        .int()
        .min(0)
        .max(65_536)
        .default(1_024)
        .describe('bytes of an endpoint’s answer kept in the delivery log'),
    },
    env,
  );
  if (production && !raw.WEBHOOK_SECRETS_KEY) {
    throw new ConfigError(
      'Invalid configuration:\n  WEBHOOK_SECRETS_KEY: required in production (32 bytes, base64 or hex)',
    );
  }
  if (production && raw.WEBHOOK_ALLOW_PRIVATE_URLS) {
    throw new ConfigError(
      'Invalid configuration:\n  WEBHOOK_ALLOW_PRIVATE_URLS: cannot be on in production (it would let endpoints reach internal addresses)',
    );
  }
  return {
    secretsKey: raw.WEBHOOK_SECRETS_KEY ?? null,
    allowPrivateUrls: raw.WEBHOOK_ALLOW_PRIVATE_URLS,
    timeoutMs: raw.WEBHOOK_TIMEOUT_MS,
    concurrencyPerEndpoint: raw.WEBHOOK_CONCURRENCY_PER_ENDPOINT,
    pollMs: raw.WEBHOOK_POLL_MS,
    leaseMs: raw.WEBHOOK_LEASE_MS,
    responseBodyLimit: raw.WEBHOOK_RESPONSE_BODY_LIMIT,
  };
}

/** The subgraph's settings; its consumers' and its delivery settings are checked too (a mistake stops the start). */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): SubgraphConfig => {
  const config = subgraphConfigFromEnv(WEBHOOK_SUBGRAPH, env);
  consumerSettingsFromEnv(env);
  webhookSettingsFromEnv(env, config.production);
  return config;
};
