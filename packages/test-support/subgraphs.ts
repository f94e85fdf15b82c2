import { createLogger, type Logger } from '@car-check/service-kit';
import {
  type BootedSubgraph,
  bootSubgraph,
  type DatabaseTarget,
  type DefinedSubgraph,
  type PrismaLike,
  type SubgraphConfig,
  subscriptionSettingsFromEnv,
} from '@car-check/subgraph-kit';
import { loadSubgraph } from '../../scripts/lib/subgraphs';
import { TEST_ENV, TEST_MANAGEMENT_TOKEN, TEST_SIGNING_SECRET } from './secrets';
import { StatementCounter } from './statementCounter';

/** A subgraph's name in supergraph.yaml; its package is loaded on first use (see scripts/lib/subgraphs.ts). */
export type SubgraphName = string;

/** One subgraph's package, loaded by name: a subgraph's own tests load nothing of the others. */
export const subgraphUnderTest = loadSubgraph;

export const silentLogger = (service: string): Logger => createLogger({ service, level: 'silent', pretty: false });

export interface TestSubgraph extends BootedSubgraph<PrismaLike> {
  /** SQL statements this subgraph has run (see StatementCounter). */
  statements: StatementCounter;
  graphqlUrl: string;
  config: SubgraphConfig;
}

export interface StartSubgraphOptions {
  seed?: boolean;
  log?: Logger;
  /** Where the subgraphs it calls are; may be filled in after start (looked up on first request). */
  peers?: Record<string, string>;
  /** Listen on this port instead of a free one (to restart a subgraph where the gateway expects it). */
  port?: number;
  /** Extra environment, e.g. REDIS_URL for state shared by several instances. */
  env?: NodeJS.ProcessEnv;
}

/** The configuration a subgraph gets in tests: a free port, silent logs, no automatic seeding. */
export function testSubgraphConfig(
  name: SubgraphName,
  database: DatabaseTarget,
  options: StartSubgraphOptions = {},
): SubgraphConfig {
  return {
    name: loadSubgraph(name).spec.name,
    host: '127.0.0.1',
    port: options.port ?? 0,
    production: false,
    logLevel: 'silent',
    prettyLogs: false,
    database,
    seedOnEmpty: false,
    migrateOnStart: true,
    bodyLimit: '1mb',
    peers: options.peers ?? {},
    // The default (2 s) is for a service with cores of its own. Here a 2-core machine runs two suites,
    // each a whole graph: a peer's answer (the user service checking a manager), waiting behind a
    // stream of writes, once took longer in a full run. As with the gateway's deadlines in graph.ts,
    // a suite about this deadline sets PEER_TIMEOUT_MS itself.
    peerTimeoutMs: Number(options.env?.PEER_TIMEOUT_MS ?? 30_000),
    signing: { source: { kind: 'configured', secret: TEST_SIGNING_SECRET }, maxAgeMs: 30_000 },
    shutdownGraceMs: 5_000,
    redisUrl: options.env?.REDIS_URL,
    idempotencyTtlSeconds: Number(options.env?.IDEMPOTENCY_KEY_TTL_SECONDS ?? 3600),
    managementToken: options.env?.MANAGEMENT_TOKEN ?? TEST_MANAGEMENT_TOKEN,
    // Its SUBSCRIPTION_* variables as a process reads them (defaults unless a test sets some).
    subscriptions: subscriptionSettingsFromEnv({ ...TEST_ENV, ...options.env }),
    env: { ...TEST_ENV, ...options.env },
  };
}

/**
 * Boots one subgraph on a free port against `database`, counting its SQL
 * statements. With `seed`, loads the demo fleet's slice for this subgraph.
 */
export async function startSubgraph(
  name: SubgraphName,
  database: DatabaseTarget,
  options: StartSubgraphOptions = {},
): Promise<TestSubgraph> {
  const { module } = loadSubgraph(name);
  const statements = new StatementCounter();
  const counted: DefinedSubgraph<PrismaLike> = {
    ...module,
    createPrisma: (adapter) => module.createPrisma(statements.wrap(adapter)),
  };
  const config = testSubgraphConfig(name, database, options);
  const log = options.log ?? silentLogger(name);
  const booted = await bootSubgraph(counted, config, log);
  if (options.seed) {
    try {
      await counted.seed(booted.prisma, log, config.env);
    } catch (error) {
      // Not returned, so no caller could stop it: its server and timers would keep jest from exiting.
      await booted.stop().catch(() => undefined);
      throw error;
    }
  }
  statements.reset();
  return { ...booted, statements, config, graphqlUrl: `${booted.url}/graphql` };
}
