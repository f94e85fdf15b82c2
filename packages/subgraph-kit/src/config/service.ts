import { z } from 'zod';
import { databaseTargetFromEnv, type SubgraphDatabaseNames } from '../db/config';
import type { DatabaseTarget } from '../db/connect';
import { subscriptionSettingsFromEnv, type SubscriptionSettings } from '../subscriptions/settings';
import { amqpSettingsFromEnv, eventSigningKeyFromEnv, eventVerifyingKeysFromEnv } from '@car-check/events';
import {
  bodyLimit,
  host,
  shutdownGraceMs,
  flag,
  httpUrl,
  logLevel,
  nodeEnv,
  port,
  readEnv,
  redisUrl,
  subgraphRegistration,
  routingUrlOf,
  subgraphUrlVariable,
  subgraphPortVariable,
  signingConfigFromEnv,
  type SigningConfig,
  managementTokenFromEnv,
} from '@car-check/service-kit';

/** Settings every subgraph process has. */
export interface SubgraphConfig {
  name: string;
  host: string;
  port: number;
  production: boolean;
  logLevel: string;
  prettyLogs: boolean;
  database: DatabaseTarget;
  /** Seed demo data when an embedded database is created. */
  seedOnEmpty: boolean;
  /** Apply pending migrations at start (off where a migration job runs them first). */
  migrateOnStart: boolean;
  bodyLimit: string;
  /** URLs of the other subgraphs this one calls, by subgraph name. */
  peers: Record<string, string>;
  /** How long a call to another subgraph may take. */
  peerTimeoutMs: number;
  /** The secret that proves a request came through the gateway. */
  signing: SigningConfig;
  /** How long SIGTERM waits for in-flight requests before cutting them. */
  shutdownGraceMs: number;
  /** How long a client's Idempotency-Key and the first result of its write are kept. */
  idempotencyTtlSeconds: number;
  /** Redis shared by several instances (signature nonces, sign-in throttling); unset: this process's memory. */
  redisUrl?: string;
  /** MANAGEMENT_TOKEN: the bearer token that reads `/ready`'s details and `/metrics`; unset: never served. */
  managementToken?: string;
  /** How its subscription fields are served: heartbeats, replay window, buffers, outbox polling. */
  subscriptions: SubscriptionSettings;
  /** The environment this was read from, for settings only one subgraph has (read at its set-up). */
  env: NodeJS.ProcessEnv;
}

export interface SubgraphConfigSpec extends SubgraphDatabaseNames {
  /** Subgraphs this one calls directly (for cross-service preconditions). */
  peers: string[];
  /** Owners whose domain events it consumes: their public keys verify what it applies. */
  consumes?: readonly string[];
}

/** Reads one subgraph's configuration, failing fast with the variables' names. */
export function subgraphConfigFromEnv(spec: SubgraphConfigSpec, env: NodeJS.ProcessEnv = process.env): SubgraphConfig {
  const portVar = subgraphPortVariable(spec.name);
  const raw = readEnv(
    {
      [portVar]: port(subgraphRegistration(spec.name).port),
      HOST: host(),
      NODE_ENV: nodeEnv(),
      LOG_LEVEL: logLevel(),
      LOG_PRETTY: flag(false),
      SEED_ON_EMPTY: flag(true),
      MIGRATE_ON_START: flag(true),
      BODY_LIMIT: bodyLimit(),
      PEER_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(2_000),
      SHUTDOWN_GRACE_MS: shutdownGraceMs(),
      REDIS_URL: redisUrl().optional(),
      IDEMPOTENCY_KEY_TTL_SECONDS: z.coerce
        .number()
        .int()
        .min(1)
        .max(30 * 24 * 3600)
        .default(24 * 3600),
      ...Object.fromEntries(spec.peers.map((peer) => [subgraphUrlVariable(peer), httpUrl().optional()])),
    },
    env,
  ) as Record<string, unknown>;
  // Read again by its set-up, once the database is migrated: checked now, so that a
  // mistake stops the start (and `npm start`'s check) before anything is touched.
  amqpSettingsFromEnv(env);
  const production = raw.NODE_ENV === 'production';
  return {
    name: spec.name,
    host: raw.HOST as string,
    port: raw[portVar] as number,
    production,
    logLevel: raw.LOG_LEVEL as string,
    prettyLogs: raw.LOG_PRETTY as boolean,
    database: databaseTargetFromEnv(spec, env),
    seedOnEmpty: raw.SEED_ON_EMPTY as boolean,
    migrateOnStart: raw.MIGRATE_ON_START as boolean,
    bodyLimit: raw.BODY_LIMIT as string,
    peers: Object.fromEntries(
      spec.peers.map((peer) => [peer, (raw[subgraphUrlVariable(peer)] as string | undefined) ?? routingUrlOf(peer)]),
    ),
    peerTimeoutMs: raw.PEER_TIMEOUT_MS as number,
    signing: signingConfigFromEnv(env, production),
    shutdownGraceMs: raw.SHUTDOWN_GRACE_MS as number,
    redisUrl: raw.REDIS_URL as string | undefined,
    idempotencyTtlSeconds: raw.IDEMPOTENCY_KEY_TTL_SECONDS as number,
    managementToken: managementTokenFromEnv(env),
    subscriptions: subscriptionSettingsFromEnv(env),
    env,
  };
}

/**
 * Checks the keys of a subgraph's events: its own signing key, and the public keys of the owners
 * whose events it consumes (read again when its signer and consumers are set up).
 */
export function checkEventKeys(spec: SubgraphConfigSpec, env: NodeJS.ProcessEnv, production: boolean): void {
  eventSigningKeyFromEnv(spec.name, env, production);
  for (const owner of spec.consumes ?? []) eventVerifyingKeysFromEnv(owner, env, production);
}
