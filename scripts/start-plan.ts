/**
 * `npm start`'s checks before anything starts, in a process of their own (lib/startPlan.ts says
 * why): every service's configuration, ports that differ and are free, PostgreSQL servers that
 * answer. Prints the plan as JSON on stdout; a configuration mistake is one line on stderr
 * naming the variable, no stack trace, exit 78.
 */
import path from 'node:path';
import {
  ConfigError,
  describeError,
  ensurePortFree,
  EXIT_CONFIG,
  subgraphNames,
  subgraphPortVariable,
} from '@car-check/service-kit';
import { checkPostgresReachable } from '@car-check/subgraph-kit';
import { loadGatewayConfig } from '../gateway/src/config';
import { servesDevPages } from '../gateway/src/devPageList';
import { seedsDemoUsers } from './lib/banner';
import { refuseSharedPorts } from './lib/startChecks';
import type { StartPlan } from './lib/startPlan';
import { loadSubgraph } from './lib/subgraphs';

async function plan(env: NodeJS.ProcessEnv): Promise<StartPlan> {
  // Every subgraph supergraph.yaml lists, each with its package's configuration.
  const subgraphs = subgraphNames().map((name) => {
    const { registration, loadConfig } = loadSubgraph(name);
    return { name, registration, config: loadConfig(env) };
  });
  const gateway = loadGatewayConfig(env);
  refuseSharedPorts([
    { variable: 'GATEWAY_PORT', port: gateway.port },
    ...subgraphs.map((s) => ({ variable: subgraphPortVariable(s.name), port: s.config.port })),
  ]);
  // Every port, and every PostgreSQL server, checked before anything starts: a graph already
  // running, or a database URL that leads nowhere, is one clear line.
  await ensurePortFree(gateway.host, gateway.port, 'GATEWAY_PORT');
  for (const { name, config } of subgraphs) await ensurePortFree(config.host, config.port, subgraphPortVariable(name));
  const checked = new Set<string>();
  for (const { config } of subgraphs) {
    if (config.database.kind !== 'postgres' || checked.has(config.database.url)) continue;
    checked.add(config.database.url);
    await checkPostgresReachable(config.database);
  }
  return {
    gateway: {
      host: gateway.host,
      port: gateway.port,
      shutdownGraceMs: gateway.shutdownGraceMs,
      production: gateway.production,
      landingPage: gateway.landingPage,
      devPages: servesDevPages(gateway),
      supergraphPath: gateway.supergraphPath,
    },
    subgraphs: subgraphs.map(({ name, registration, config }) => ({
      name,
      host: config.host,
      port: config.port,
      shutdownGraceMs: config.shutdownGraceMs,
      packageDir: registration.packageDir,
      entry: path.join(registration.packageDir, 'src', 'index.ts'),
      schemaSourceFile: registration.schemaSourceFile,
      definitionFile: registration.definitionFile,
      demoUsers: name === 'user' && seedsDemoUsers(config),
    })),
  };
}

plan(process.env).then(
  (made) => process.stdout.write(`${JSON.stringify(made)}\n`),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`npm start: ${error.oneLine()}`);
      process.exit(EXIT_CONFIG);
    }
    console.error(`Could not start the graph: ${describeError(error)}`);
    process.exit(1);
  },
);
