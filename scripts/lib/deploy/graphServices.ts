/**
 * The services of the graph as the code defines them, so the deployment checks
 * compare manifests against the source of truth instead of a second copy of it:
 * subgraphs, ports and routing from supergraph.yaml, which subgraph calls which from
 * `peers` in subgraphs/<name>/src/config.ts, the gateway's port from gateway/src/processConfig.ts, and
 * package names from each package.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { subgraphDatabaseUrlVariable, subgraphPortVariable } from '@car-check/service-kit';

export interface GraphService {
  /** `gateway`, or the subgraph's name in supergraph.yaml. */
  name: string;
  role: 'gateway' | 'subgraph';
  /** Repository-relative package directory: `gateway`, `subgraphs/car`. */
  dir: string;
  /** The workspace package, e.g. `@car-check/subgraph-car`. */
  packageName: string;
  port: number;
  /** The variable that overrides the port, e.g. `CAR_PORT`. */
  portVariable: string;
  /** Subgraphs only: the variable naming its own database, e.g. `CAR_DATABASE_URL`. */
  databaseVariable?: string;
  /** Subgraphs this service calls directly (the gateway calls every subgraph). */
  calls: string[];
}

export const GATEWAY = 'gateway';

/** The gateway and every subgraph of supergraph.yaml, read from the repository at `root`. */
export function readGraphServices(root: string): GraphService[] {
  const supergraphFile = path.join(root, 'supergraph.yaml');
  const config = parse(readFileSync(supergraphFile, 'utf8')) as {
    subgraphs?: Record<string, { routing_url?: string }>;
  };
  const subgraphs = Object.entries(config.subgraphs ?? {});
  if (subgraphs.length === 0) throw new Error(`${supergraphFile}: no subgraphs`);

  const gatewayConfig = path.join(root, 'gateway', 'src', 'processConfig.ts');
  const gatewayPort = matchOne(gatewayConfig, /GATEWAY_PORT:\s*port\((\d+)\)/, 'the GATEWAY_PORT default');
  const gateway: GraphService = {
    name: GATEWAY,
    role: 'gateway',
    dir: 'gateway',
    packageName: packageNameOf(root, 'gateway'),
    port: Number(gatewayPort),
    portVariable: 'GATEWAY_PORT',
    calls: subgraphs.map(([name]) => name),
  };

  return [
    gateway,
    ...subgraphs.map(([name, { routing_url: url }]): GraphService => {
      const dir = `subgraphs/${name}`;
      const port = url ? Number(new URL(url).port) : NaN;
      if (!Number.isInteger(port) || port <= 0)
        throw new Error(`${supergraphFile}: subgraph ${name} has no routing_url with a port`);
      const configFile = path.join(root, dir, 'src', 'config.ts');
      const peers = matchOne(configFile, /peers:\s*\[([^\]]*)\]/, 'peers');
      return {
        name,
        role: 'subgraph',
        dir,
        packageName: packageNameOf(root, dir),
        port,
        portVariable: subgraphPortVariable(name),
        databaseVariable: subgraphDatabaseUrlVariable(name),
        calls: [...peers.matchAll(/'([^']+)'/g)].map((match) => match[1] as string),
      };
    }),
  ];
}

/** Who opens connections to `name`: the services whose `calls` include it. */
export function callersOf(services: GraphService[], name: string): string[] {
  return services
    .filter((service) => service.calls.includes(name))
    .map((service) => service.name)
    .sort();
}

function packageNameOf(root: string, dir: string): string {
  const file = path.join(root, dir, 'package.json');
  if (!existsSync(file)) throw new Error(`${file} is missing (each service is a workspace package)`);
  const name = (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name;
  if (typeof name !== 'string') throw new Error(`${file} has no name`);
  return name;
}

/** The first group of `pattern` in `file`; throws naming what was looked for, so a moved setting is noticed. */
function matchOne(file: string, pattern: RegExp, what: string): string {
  const found = existsSync(file) ? pattern.exec(readFileSync(file, 'utf8'))?.[1] : undefined;
  if (found === undefined) throw new Error(`${file}: cannot find ${what} (the deployment checks read it from there)`);
  return found;
}
