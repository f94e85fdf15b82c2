import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_TOKEN_AUDIENCE,
  DEFAULT_TOKEN_ISSUER,
  ConfigError,
  flag,
  httpUrl,
  JWKS_PATH,
  managementTokenFromEnv,
  nodeEnv,
  readEnv,
  redisUrl,
  bodyLimit,
  routingUrlOf,
  type SigningConfig,
  signingConfigFromEnv,
  subgraphNames,
  subgraphTimeoutVariable,
  subgraphUrlVariable,
  timeoutMs,
  TOKEN_STATUS_PATH,
} from '@car-check/service-kit';
import { parseByteSize } from './pipeline/readRequest';
import { type StageConfig, STAGES } from './pipeline/stages';
import { PROCESS_ENV, type ProcessConfig } from './processConfig';

// Apollo Sandbox, embedded in the landing page or opened from Apollo's site, and local
// frontends on any port (a Vite dev server, the web console's preview).
const DEVELOPMENT_ORIGINS: (string | RegExp)[] = [
  'https://sandbox.embed.apollographql.com',
  'https://studio.apollographql.com',
  /^http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?$/,
];

/** What the gateway as a whole is configured with; each stage of the request path adds its own (StageConfig). */
export interface BaseConfig extends ProcessConfig {
  production: boolean;
  /** The composed supergraph the gateway serves, from a file or (when set) a URL. */
  supergraphPath: string;
  supergraphUrl?: string;
  /** How often to look for a new supergraph (hot reload); 0 = never. */
  supergraphPollMs: number;
  /** Per-subgraph routing URLs that replace the ones in the supergraph (e.g. CAR_SUBGRAPH_URL); read with subgraphUrl. */
  subgraphUrls: Partial<Record<string, string>>;
  /** A subgraph's deadline in ms unless it has its own (SUBGRAPH_TIMEOUT_MS). */
  subgraphTimeoutMs: number;
  /** Per-subgraph deadlines in ms (e.g. CAR_SUBGRAPH_TIMEOUT_MS); read with subgraphTimeoutMs. */
  subgraphTimeoutsMs: Partial<Record<string, number>>;
  /** Where the user service publishes its token-signing keys, and answers token status. */
  jwksUrl: string;
  tokenStatusUrl: string;
  tokenIssuer: string;
  tokenAudience: string;
  tokenStatusCacheMs: number;
  signing: SigningConfig;
  /** Browser origins allowed to call the gateway (CORS). */
  corsOrigins: (string | RegExp)[];
  /** The web package's build: the offline explorer and the console, served at /explorer and /console outside production. */
  webDist: string;
  /** Redis shared by every gateway instance, for the rate limit; unset: this process's memory. */
  redisUrl?: string;
  /** MANAGEMENT_TOKEN: the bearer token that reads `/ready`'s details and `/metrics`; unset: never served. */
  managementToken?: string;
  /**
   * `/ready` answers 503 while any subgraph is not ready (strict). Off by default:
   * the gateway is ready whenever it has a supergraph, since it keeps serving
   * every field that does not need a missing subgraph.
   */
  readyRequiresSubgraphs: boolean;
  /** One request's `_entities` fetches of one plan stage to one subgraph go as one call. */
  mergeEntityFetches: boolean;
  /** The largest body of such a merged call: the subgraphs' BODY_LIMIT must accept it. */
  mergedFetchMaxBytes: number;
  /** The entity cache (docs/entity-cache.md): off, or its size and how often it reads the owners' feeds. */
  entityCache: { maxBytes: number; pollMs: number } | null;
}

/** The gateway's configuration: its own, and every stage's of its request path. */
export type GatewayConfig = BaseConfig & StageConfig;

/**
 * The variables of the gateway itself (its process's among them, processConfig.ts); each stage
 * (pipeline/stages/) declares its own.
 */
const BASE_ENV = {
  GATEWAY_PORT: PROCESS_ENV.GATEWAY_PORT,
  HOST: PROCESS_ENV.HOST,
  NODE_ENV: nodeEnv(),
  LOG_LEVEL: PROCESS_ENV.LOG_LEVEL,
  LOG_PRETTY: PROCESS_ENV.LOG_PRETTY,
  SUPERGRAPH_PATH: z.string().default(path.resolve(__dirname, '..', '..', 'supergraph.graphql')),
  SUPERGRAPH_URL: httpUrl().optional(),
  SUPERGRAPH_POLL_MS: z.coerce.number().int().min(0).max(3_600_000).default(1_000),
  SUBGRAPH_TIMEOUT_MS: timeoutMs().default(5_000),
  JWKS_URL: httpUrl().optional(),
  TOKEN_STATUS_URL: httpUrl().optional(),
  JWT_ISSUER: z.string().min(1).default(DEFAULT_TOKEN_ISSUER),
  JWT_AUDIENCE: z.string().min(1).default(DEFAULT_TOKEN_AUDIENCE),
  // Bounds how long a revoked token keeps working: well under the promised 5 s.
  TOKEN_STATUS_CACHE_MS: z.coerce.number().int().min(0).max(4_000).default(2_000),
  CORS_ORIGINS: z.string().optional(),
  WEB_DIST: z.string().default(path.resolve(__dirname, '..', '..', 'web', 'dist')),
  REDIS_URL: redisUrl().optional(),
  WORKERS: PROCESS_ENV.WORKERS,
  SHUTDOWN_GRACE_MS: PROCESS_ENV.SHUTDOWN_GRACE_MS,
  HEAP_GROWING_PERCENT: PROCESS_ENV.HEAP_GROWING_PERCENT,
  READY_REQUIRES_SUBGRAPHS: flag(false),
  MERGE_ENTITY_FETCHES: flag(true).describe(
    "one request's `_entities` fetches to one subgraph in one stage of its query plan go as one call (aliased `_entities` fields, one representations list each), and query plans are held in stages so that a stage's fetches start together; `false`: one call per fetch, plans as Apollo writes them",
  ),
  // Under the subgraphs' own BODY_LIMIT (1mb by default), so a merged call is never refused where its parts would pass.
  MERGED_FETCH_MAX_BYTES: bodyLimit()
    .default('512kb')
    .describe(
      "the largest body of a merged call (`MERGE_ENTITY_FETCHES`), e.g. `512kb`; fetches beyond it go in another call. Keep it at most the subgraphs' `BODY_LIMIT`",
    ),
  // Off unless asked for, as in the routers that have one: an operator decides to serve entities from memory.
  ENTITY_CACHE: flag(false).describe(
    "`true`: keep the entities owners declare with `@cacheEntity` (docs/entity-cache.md), dropped by their owners' events as they commit; `false`: every entity fetch goes to its subgraph",
  ),
  ENTITY_CACHE_MAX_BYTES: bodyLimit().default('64mb').describe("the entity cache's size in memory, e.g. `64mb`"),
  ENTITY_CACHE_POLL_MS: z.coerce
    .number()
    .int()
    .min(20)
    .max(60_000)
    .default(250)
    .describe("how often the entity cache reads each owner's event feed: the invalidation lag, at most"),
};

/** Every variable the gateway reads by name (per-subgraph and signing ones aside), for the configuration reference. */
export const GATEWAY_ENV: z.ZodRawShape = { ...BASE_ENV, ...STAGES.env };

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  // Every variable at once, so that one message names every problem.
  readEnv(GATEWAY_ENV, env);
  const raw = readEnv(BASE_ENV, env);
  const production = raw.NODE_ENV === 'production';
  // The user service's keys and token status live beside its GraphQL endpoint unless configured.
  // Per-subgraph overrides, named after each subgraph of supergraph.yaml.
  const names = subgraphNames();
  const overrides = readEnv(
    Object.fromEntries(
      names.flatMap((name) => [
        [subgraphUrlVariable(name), httpUrl().optional()],
        [subgraphTimeoutVariable(name), timeoutMs().optional()],
      ]),
    ),
    env,
  ) as Record<string, unknown>;
  const perSubgraph = <T>(variable: (name: string) => string) =>
    Object.fromEntries(names.map((name) => [name, overrides[variable(name)] as T | undefined]));
  const subgraphUrls = perSubgraph<string>(subgraphUrlVariable);
  const userService = new URL(subgraphUrl({ subgraphUrls }, 'user'));
  const base: BaseConfig = {
    host: raw.HOST,
    port: raw.GATEWAY_PORT,
    production,
    logLevel: raw.LOG_LEVEL,
    prettyLogs: raw.LOG_PRETTY,
    supergraphPath: supergraphFile(raw.SUPERGRAPH_PATH, raw.SUPERGRAPH_URL),
    supergraphUrl: raw.SUPERGRAPH_URL,
    supergraphPollMs: raw.SUPERGRAPH_POLL_MS,
    subgraphUrls,
    subgraphTimeoutMs: raw.SUBGRAPH_TIMEOUT_MS,
    subgraphTimeoutsMs: perSubgraph<number>(subgraphTimeoutVariable),
    jwksUrl: raw.JWKS_URL ?? new URL(JWKS_PATH, userService).toString(),
    tokenStatusUrl: raw.TOKEN_STATUS_URL ?? new URL(TOKEN_STATUS_PATH, userService).toString(),
    tokenIssuer: raw.JWT_ISSUER,
    tokenAudience: raw.JWT_AUDIENCE,
    tokenStatusCacheMs: raw.TOKEN_STATUS_CACHE_MS,
    signing: signingConfigFromEnv(env, production),
    // In production CORS_ORIGINS is the exact list; in development it adds to the defaults.
    corsOrigins: [
      ...(production ? [] : DEVELOPMENT_ORIGINS),
      ...(raw.CORS_ORIGINS ?? '')
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    ],
    webDist: path.resolve(raw.WEB_DIST),
    redisUrl: raw.REDIS_URL,
    workers: raw.WORKERS,
    shutdownGraceMs: raw.SHUTDOWN_GRACE_MS,
    heapGrowingPercent: raw.HEAP_GROWING_PERCENT,
    readyRequiresSubgraphs: raw.READY_REQUIRES_SUBGRAPHS,
    mergeEntityFetches: raw.MERGE_ENTITY_FETCHES,
    mergedFetchMaxBytes: parseByteSize(raw.MERGED_FETCH_MAX_BYTES),
    entityCache: raw.ENTITY_CACHE
      ? { maxBytes: parseByteSize(raw.ENTITY_CACHE_MAX_BYTES), pollMs: raw.ENTITY_CACHE_POLL_MS }
      : null,
    managementToken: managementTokenFromEnv(env),
  };
  return { ...base, ...STAGES.readConfig(env, { production }) };
}

/**
 * Where the gateway reaches a subgraph: its own variable (e.g. CAR_SUBGRAPH_URL)
 * when set, else the routing URL the supergraph gives it, else supergraph.yaml's.
 */
export function subgraphUrl(config: Pick<BaseConfig, 'subgraphUrls'>, name: string, routingUrl?: string): string {
  return config.subgraphUrls[name] ?? routingUrl ?? routingUrlOf(name);
}

/**
 * A subgraph's deadline: its own variable (e.g. CAR_SUBGRAPH_TIMEOUT_MS) when
 * set, else SUBGRAPH_TIMEOUT_MS, also for a subgraph supergraph.yaml does not
 * list (a supergraph served from SUPERGRAPH_URL may have more).
 */
export function subgraphTimeoutMs(
  config: Pick<BaseConfig, 'subgraphTimeoutMs' | 'subgraphTimeoutsMs'>,
  name: string,
): number {
  return config.subgraphTimeoutsMs[name] ?? config.subgraphTimeoutMs;
}

/** The supergraph file, checked at start when it is the source: a missing one says how to make it. */
function supergraphFile(file: string, url: string | undefined): string {
  const resolved = path.resolve(file);
  if (!url && !existsSync(resolved)) {
    throw new ConfigError(
      `Invalid configuration:\n  SUPERGRAPH_PATH: ${resolved} does not exist; run \`npm run compose\` to compose it from supergraph.yaml, or set SUPERGRAPH_URL`,
    );
  }
  return resolved;
}
