import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/**
 * The registry of subgraphs: which exist, where each is routed, where its package,
 * SDL, Prisma schema, migrations and demo seed are. supergraph.yaml is the one
 * place subgraphs are listed; everything else (the gateway's variables, `npm start`,
 * the tests, codegen, benchmarks, the Prisma scripts) derives from it, and each
 * subgraph's package.json declares its own files under "subgraph".
 */
export interface SubgraphRegistration extends SubgraphPackageFiles {
  name: string;
  /** Where the gateway sends this subgraph's share of a query (supergraph.yaml's routing_url). */
  routingUrl: string;
  /** The port of routingUrl: where the subgraph listens unless <PREFIX>_PORT says otherwise. */
  port: number;
}

/** supergraph.yaml: SUPERGRAPH_CONFIG, else the nearest one above this package (the repository's, or an image's /app). */
export function supergraphConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SUPERGRAPH_CONFIG) return path.resolve(env.SUPERGRAPH_CONFIG);
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'supergraph.yaml');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) {
      throw new Error(`No supergraph.yaml above ${__dirname}; set SUPERGRAPH_CONFIG to its path.`);
    }
  }
}

interface SupergraphYaml {
  subgraphs?: Record<string, { routing_url?: unknown; schema?: { file?: unknown } }>;
}

/** A subgraph package's files, as its package.json declares them under "subgraph". */
export interface SubgraphPackageFiles {
  packageDir: string;
  schemaFile: string;
  prismaSchema: string;
  migrationsDir: string;
  /** The module exporting `definition` (a SubgraphPackage) for the repository's tools. */
  definitionFile: string;
  /** Resolver-type mappers for codegen ("subgraph.codegenMappers"), paths relative to the generated file. */
  codegenMappers: Record<string, string>;
}

/**
 * Reads the "subgraph" section of a subgraph package's package.json. The package
 * says where its SDL, Prisma schema and migrations are (they may live outside it,
 * under prisma/<name>/), so that its server, the registry and its image agree.
 */
export function subgraphPackageFiles(packageDir: string): SubgraphPackageFiles {
  const file = path.join(packageDir, 'package.json');
  const declared = (JSON.parse(readFileSync(file, 'utf8')) as { subgraph?: Record<string, unknown> }).subgraph;
  if (!declared) throw new Error(`${file} has no "subgraph" section.`);
  const at = (key: string) => {
    const value = declared[key];
    if (typeof value !== 'string') throw new Error(`${file}: "subgraph.${key}" must name a file.`);
    return path.resolve(packageDir, value);
  };
  return {
    packageDir,
    schemaFile: at('schema'),
    prismaSchema: at('prisma'),
    migrationsDir: at('migrations'),
    definitionFile: at('definition'),
    codegenMappers: (declared.codegenMappers as Record<string, string> | undefined) ?? {},
  };
}

const registries = new Map<string, SubgraphRegistration[]>();

/** Every subgraph supergraph.yaml lists, in its order; read once per file. */
export function subgraphRegistry(configPath = supergraphConfigPath()): SubgraphRegistration[] {
  let registry = registries.get(configPath);
  if (!registry) {
    registry = readRegistry(configPath);
    registries.set(configPath, registry);
  }
  return registry;
}

function readRegistry(configPath: string): SubgraphRegistration[] {
  const config = parse(readFileSync(configPath, 'utf8')) as SupergraphYaml;
  const root = path.dirname(configPath);
  return Object.entries(config.subgraphs ?? {}).map(([name, entry]) => {
    const where = `${configPath}: subgraph "${name}"`;
    if (typeof entry.routing_url !== 'string') throw new Error(`${where} has no routing_url.`);
    if (typeof entry.schema?.file !== 'string') throw new Error(`${where} has no schema.file.`);
    const routingUrl = entry.routing_url;
    const schemaFile = path.resolve(root, entry.schema.file);
    return {
      ...subgraphPackageFiles(path.dirname(schemaFile)),
      name,
      routingUrl,
      port: portOf(routingUrl, where),
      schemaFile,
    };
  });
}

function portOf(routingUrl: string, where: string): number {
  const url = new URL(routingUrl);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (!Number.isInteger(port) || port <= 0) throw new Error(`${where} has no usable port in ${routingUrl}.`);
  return port;
}

/** The names of the subgraphs, as supergraph.yaml lists them. */
export function subgraphNames(configPath?: string): string[] {
  return subgraphRegistry(configPath).map((entry) => entry.name);
}

/** One subgraph's registration; an unknown name is an error naming the known ones. */
export function subgraphRegistration(name: string, configPath?: string): SubgraphRegistration {
  const registry = subgraphRegistry(configPath);
  const entry = registry.find((candidate) => candidate.name === name);
  if (!entry)
    throw new Error(`Unknown subgraph "${name}"; supergraph.yaml lists ${registry.map((e) => e.name).join(', ')}.`);
  return entry;
}
