import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { parse, type GraphQLSchema } from 'graphql';
import type { Logger } from '../logging/logger';
import type { PrismaLike, SubgraphModule } from './bootSubgraph';
import { createSubgraphApp, type RequestInfo } from './subgraph';
import type { Database } from '../db/connect';
import { SubgraphClient } from '../peers/subgraphClient';

/** Clients for the other subgraphs this one calls, by subgraph name. */
export type Peers = Record<string, SubgraphClient>;

export interface SubgraphDefinition<P extends PrismaLike, Ctx extends RequestInfo> {
  /** Absolute path of the subgraph's SDL file. */
  schemaFile: string;
  /** Absolute path of its Prisma migrations folder. */
  migrationsDir: string;
  resolvers: object;
  createPrisma(adapter: Database['adapter']): P;
  createContext(prisma: P, request: RequestInfo, peers: Peers): Ctx;
  seed(prisma: P, log: Logger): Promise<void>;
}

export interface DefinedSubgraph<P extends PrismaLike> extends SubgraphModule<P> {
  schema: GraphQLSchema;
}

/**
 * Turns a subgraph's parts (SDL file, resolvers, Prisma client, context) into
 * the module the boot sequence and the tests run. Building is separate from
 * listening: nothing here opens a port or a database.
 */
export function defineSubgraph<P extends PrismaLike, Ctx extends RequestInfo>(
  definition: SubgraphDefinition<P, Ctx>,
): DefinedSubgraph<P> {
  const typeDefs = parse(readFileSync(definition.schemaFile, 'utf8'));
  // Codegen's resolver types are stricter than the subgraph helper's map type.
  const schema = buildSubgraphSchema({ typeDefs, resolvers: definition.resolvers as GraphQLResolverMap<unknown> });
  return {
    schema,
    migrationsDir: definition.migrationsDir,
    createPrisma: definition.createPrisma,
    seed: definition.seed,
    build: ({ prisma, log, config, ready }) => {
      // Built on first use: subgraphs that call each other can then be started in any order.
      let peers: Peers | undefined;
      const peerClients = (): Peers =>
        (peers ??= Object.fromEntries(
          Object.entries(config.peers).map(([name, url]) => [name, new SubgraphClient(name, url, config.peerTimeoutMs, log)]),
        ));
      return createSubgraphApp({
        name: config.name,
        schema,
        log,
        ready,
        introspection: !config.production,
        bodyLimit: config.bodyLimit,
        context: (request) => definition.createContext(prisma, request, peerClients()),
      });
    },
  };
}
