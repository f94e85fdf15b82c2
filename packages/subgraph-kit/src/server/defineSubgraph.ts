import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { Express } from 'express';
import { parse, type GraphQLSchema } from 'graphql';
import { enforceRequirements } from '../auth/enforce';
import type { SubgraphConfig } from '../config/service';
import {
  eventSignerFromEnv,
  mountEventFeed,
  FEED_RECHECK_MS,
  type EventFeed,
  type EventFeedReader,
  amqpSettingsFromEnv,
  EventRelay,
  onOutboxWritten,
  type RelaySql,
} from '@car-check/events';
import {
  resolveSigningSecret,
  FailoverNonceStore,
  MemoryNonceStore,
  closeRedis,
  connectRedis,
  redisDependency,
  schemaHashOf,
  subgraphPackageFiles,
  managementAccess,
  type Logger,
  type ServiceMetrics,
  type SignatureCheck,
  type SharedRedis,
} from '@car-check/service-kit';
import type { Database } from '../db/connect';
import { PeerClient } from '../peers/peerClient';
import { SubscriptionHub } from '../subscriptions/hub';
import { outboxChangeSource } from '../subscriptions/outbox';
import type { PrismaLike, SubgraphModule } from './bootSubgraph';
import type { ContextDeps } from './context';
import { createSubgraphApp, type RequestInfo } from './subgraph';

// The event relay of each running subgraph (broker mode), by its Prisma client: for tests and tools.
const relays = new WeakMap<object, EventRelay>();

/**
 * How often the event feed's held reads look again on an embedded database, for a commit whose
 * signal was missed: every write goes through this process, and signals it (outboxSignal.ts).
 */
const EMBEDDED_FEED_RECHECK_MS = 10_000;

/** The event relay a subgraph built on this Prisma client runs (when AMQP_URL is set), if any. */
export const eventRelayOf = (prisma: object): EventRelay | undefined => relays.get(prisma);

/** Clients for the other subgraphs this one calls, by subgraph name. */
export type Peers = Record<string, PeerClient>;

/** What a subgraph's one-time set-up gets. */
export interface SetupDeps<P> {
  prisma: P;
  log: Logger;
  config: SubgraphConfig;
  signingSecret: Buffer;
  /** How this service checks signed requests (for extra routes that need one). */
  signatures: SignatureCheck;
  /** Shared state for several instances, when REDIS_URL is set (each user falls back while it is down). */
  redis: SharedRedis | null;
  /** The service's metrics (its Prometheus registry, for background work's own gauges). */
  metrics: ServiceMetrics;
}

/**
 * Long-lived parts built once at start (e.g. signing keys, event consumers), and any extra
 * HTTP routes.
 */
export interface SubgraphSetup<S> {
  services: S;
  routes?: (app: Express) => void;
  /** Called once on shutdown, before the database closes (e.g. stops background consumers). */
  stop?: () => Promise<void>;
  /**
   * Extra facts for `/ready`'s body (e.g. `{ consumers: {...} }`). They never make the
   * subgraph unready: readiness is the database and its migrations only.
   */
  status?: () => Record<string, unknown>;
}

/** What rebuilding a subgraph's read models needs (`npm run events:rebuild`). */
export interface RebuildDeps<P> {
  prisma: P;
  log: Logger;
  config: SubgraphConfig;
  signingSecret: Buffer;
}

/** The modules every subgraph has: its resolvers, Prisma client, per-request context and demo data. */
export interface SubgraphModules<P extends PrismaLike & EventFeedReader, Ctx extends RequestInfo, S> {
  resolvers: object;
  createPrisma(adapter: Database['adapter']): P;
  createContext(deps: ContextDeps<P, S>, request: RequestInfo): Ctx;
  seed(prisma: P, log: Logger, env: NodeJS.ProcessEnv): Promise<void>;
}

/** What only some subgraphs have: work that lives as long as the process, and read models of others' data. */
export interface SubgraphHooks<P, S> {
  setup?(deps: SetupDeps<P>): Promise<SubgraphSetup<S>>;
  /** Empties the subgraph's read models and rebuilds them from their owners' full feeds (`npm run events:rebuild`). */
  rebuildReadModels?(deps: RebuildDeps<P>): Promise<Record<string, unknown>>;
  /** Applies its read models' dead letters again, once their cause is fixed (`npm run events:redrive`). */
  redriveDeadLetters?(deps: RebuildDeps<P>): Promise<Record<string, unknown>>;
}

export interface SubgraphDefinition<P extends PrismaLike & EventFeedReader, Ctx extends RequestInfo, S>
  extends SubgraphModules<P, Ctx, S>, SubgraphHooks<P, S> {
  /** Absolute path of the subgraph's SDL file. */
  schemaFile: string;
  /** Absolute path of its Prisma migrations folder. */
  migrationsDir: string;
}

export interface DefinedSubgraph<P extends PrismaLike> extends SubgraphModule<P> {
  schema: GraphQLSchema;
  /** Set when the subgraph keeps read models of other subgraphs' data (see SubgraphDefinition). */
  rebuildReadModels?(deps: RebuildDeps<P>): Promise<Record<string, unknown>>;
  redriveDeadLetters?(deps: RebuildDeps<P>): Promise<Record<string, unknown>>;
}

/**
 * A subgraph's definition from its package folder (whose package.json names its SDL and migrations,
 * the same from src/ and from dist/), the modules every subgraph has and the hooks it needs, if any.
 */
export function subgraphDefinition<P extends PrismaLike & EventFeedReader, Ctx extends RequestInfo, S = undefined>(
  packageDir: string,
  modules: SubgraphModules<P, Ctx, S>,
  hooks: SubgraphHooks<P, S> = {},
): SubgraphDefinition<P, Ctx, S> {
  return { ...subgraphPackageFiles(packageDir), ...modules, ...hooks };
}

/**
 * Turns a subgraph's parts (SDL file, resolvers, Prisma client, context) into
 * the module the boot sequence and the tests run. The SDL's `@authenticated`
 * and `@requiresScopes` are enforced here, for every subgraph alike, and
 * every subgraph serves its domain events at `GET /events` (packages/events/src/events/feed.ts) and, when
 * AMQP_URL is set, runs a relay publishing them to the broker (packages/events/src/events/relay.ts). Its
 * subscription fields, if its SDL has any, stream the same events as text/event-stream
 * (packages/subgraph-kit/src/subscriptions/, docs/subscriptions.md). Building
 * is separate from listening: nothing here opens a port or a database.
 */
export function defineSubgraph<P extends PrismaLike & EventFeedReader, Ctx extends RequestInfo, S = undefined>(
  definition: SubgraphDefinition<P, Ctx, S>,
): DefinedSubgraph<P> {
  const sdl = readFileSync(definition.schemaFile, 'utf8');
  const typeDefs = parse(sdl);
  const resolvers = enforceRequirements(typeDefs, definition.resolvers);
  // Codegen's resolver types are stricter than the subgraph helper's map type.
  const schema = buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
  return {
    schema,
    migrationsDir: definition.migrationsDir,
    createPrisma: definition.createPrisma,
    seed: definition.seed,
    rebuildReadModels: definition.rebuildReadModels?.bind(definition),
    redriveDeadLetters: definition.redriveDeadLetters?.bind(definition),
    build: async ({ prisma, log, config, ready, metrics }) => {
      const signingSecret = await resolveSigningSecret(config.signing.source);
      // Its events leave it signed (feed and relay): consumers apply only what its key signed.
      const eventSigner = eventSignerFromEnv(config.name, config.env, config.production, signingSecret);
      const redis = config.redisUrl ? connectRedis(config.redisUrl, log, metrics.registry) : null;
      const signatures: SignatureCheck = {
        secret: signingSecret,
        audience: config.name,
        maxAgeMs: config.signing.maxAgeMs,
        nonces: redis ? new FailoverNonceStore(redis) : new MemoryNonceStore(),
      };
      const { services, routes, stop, status }: SubgraphSetup<S> = definition.setup
        ? await definition.setup({ prisma, log, config, signingSecret, signatures, redis, metrics })
        : { services: undefined as S };
      // Broker delivery mode: publish this subgraph's events (the audit rows are the outbox).
      const amqp = amqpSettingsFromEnv(config.env);
      const relay = amqp
        ? new EventRelay({
            subgraph: config.name,
            db: prisma as unknown as RelaySql,
            settings: amqp,
            signer: eventSigner,
            log,
          })
        : null;
      if (relay) {
        relays.set(prisma, relay);
        relay.start();
      }
      // Its subscription fields, if it has any, are fed by its outbox (docs/subscriptions.md).
      const subscriptions = schema.getSubscriptionType()
        ? new SubscriptionHub({
            subgraph: config.name,
            source: outboxChangeSource(prisma, config.name),
            settings: config.subscriptions,
            wake: onOutboxWritten,
            log,
          })
        : undefined;
      // Its event feed, once mounted: its held reads are answered first at shutdown.
      let feed: EventFeed | undefined;
      // Built on first use: subgraphs that call each other can then be started in any order.
      let peers: Peers | undefined;
      const peerClients = (): Peers =>
        (peers ??= Object.fromEntries(
          Object.entries(config.peers).map(([name, url]) => [
            name,
            new PeerClient(name, url, config.peerTimeoutMs, log, { service: config.name, secret: signingSecret }),
          ]),
        ));
      return createSubgraphApp({
        name: config.name,
        schema,
        log,
        ready,
        degradable: () => redisDependency(redis),
        introspection: !config.production,
        bodyLimit: config.bodyLimit,
        signatures,
        idempotencyTtlSeconds: config.idempotencyTtlSeconds,
        schemaHash: schemaHashOf(sdl),
        onStop: async () => {
          await relay?.stop();
          await stop?.();
          await closeRedis(redis);
        },
        readyDetails:
          relay || subscriptions
            ? () => ({
                ...status?.(),
                ...(relay ? { relay: relay.status() } : {}),
                ...(subscriptions ? { subscriptions: { streams: subscriptions.size } } : {}),
              })
            : status,
        services,
        subscriptions,
        routes: (app) => {
          feed = mountEventFeed(app, {
            subgraph: config.name,
            db: prisma,
            signatures,
            signer: eventSigner,
            log,
            // An embedded database has one writer, this process, whose commits wake held reads:
            // looking again is only a safety net there. On PostgreSQL other instances write too.
            recheckMs: config.database.kind === 'embedded' ? EMBEDDED_FEED_RECHECK_MS : FEED_RECHECK_MS,
          });
          routes?.(app);
        },
        endHeldReads: () => feed?.close(),
        metrics,
        management: managementAccess(config.managementToken),
        context: (request) => definition.createContext({ prisma, peers: peerClients(), services }, request),
      });
    },
  };
}
