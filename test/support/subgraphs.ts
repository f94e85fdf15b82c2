import type { SubgraphConfig } from '../../common/config/service';
import type { DatabaseTarget } from '../../common/db/connect';
import { createLogger, type Logger } from '../../common/logging/logger';
import { bootSubgraph, type BootedSubgraph, type PrismaLike } from '../../common/server/bootSubgraph';
import type { DefinedSubgraph } from '../../common/server/defineSubgraph';
import { CAR_SUBGRAPH } from '../../subgraphs/car/src/config';
import { carSubgraph } from '../../subgraphs/car/src/server';
import { COST_CENTER_SUBGRAPH } from '../../subgraphs/cost-center/src/config';
import { costCenterSubgraph } from '../../subgraphs/cost-center/src/server';
import { USER_SUBGRAPH } from '../../subgraphs/user/src/config';
import { userSubgraph } from '../../subgraphs/user/src/server';
import { TEST_ENV, TEST_SIGNING_SECRET } from './secrets';
import { StatementCounter } from './statementCounter';

export const SUBGRAPHS = {
  car: { module: carSubgraph as unknown as DefinedSubgraph<PrismaLike>, spec: CAR_SUBGRAPH },
  'cost-center': { module: costCenterSubgraph as unknown as DefinedSubgraph<PrismaLike>, spec: COST_CENTER_SUBGRAPH },
  user: { module: userSubgraph as unknown as DefinedSubgraph<PrismaLike>, spec: USER_SUBGRAPH },
} as const;

export type SubgraphName = keyof typeof SUBGRAPHS;

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
export function testSubgraphConfig(name: SubgraphName, database: DatabaseTarget, options: StartSubgraphOptions = {}): SubgraphConfig {
  return {
    name: SUBGRAPHS[name].spec.name,
    host: '127.0.0.1',
    port: options.port ?? 0,
    production: false,
    logLevel: 'silent',
    prettyLogs: false,
    database,
    seedOnEmpty: false,
    bodyLimit: '1mb',
    peers: options.peers ?? {},
    peerTimeoutMs: 2_000,
    signing: { source: { kind: 'configured', secret: TEST_SIGNING_SECRET }, maxAgeMs: 30_000 },
    shutdownGraceMs: 5_000,
    redisUrl: options.env?.REDIS_URL,
    idempotencyTtlSeconds: Number(options.env?.IDEMPOTENCY_KEY_TTL_SECONDS ?? 3600),
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
  const { module } = SUBGRAPHS[name];
  const statements = new StatementCounter();
  const counted: DefinedSubgraph<PrismaLike> = {
    ...module,
    createPrisma: (adapter) => module.createPrisma(statements.wrap(adapter)),
  };
  const config = testSubgraphConfig(name, database, options);
  const log = options.log ?? silentLogger(name);
  const booted = await bootSubgraph(counted, config, log);
  if (options.seed) await counted.seed(booted.prisma, log, config.env);
  statements.reset();
  return { ...booted, statements, config, graphqlUrl: `${booted.url}/graphql` };
}
