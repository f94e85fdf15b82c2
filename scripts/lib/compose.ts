import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { GraphQLError, parse, Source } from 'graphql';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

const supergraphConfigSchema = z.object({
  federation_version: z.string(),
  subgraphs: z.record(z.string(), z.object({ routing_url: z.url(), schema: z.object({ file: z.string() }) })),
});

export type SupergraphConfig = z.infer<typeof supergraphConfigSchema>;

export interface SubgraphSource {
  name: string;
  url: string;
  /** Path of the SDL file, relative to the repo root. */
  file: string;
  sdl: string;
}

/** Reads a rover-style `supergraph.yaml` and the SDL files it names. */
export async function readSupergraphConfig(
  configPath = path.join(REPO_ROOT, 'supergraph.yaml'),
): Promise<SubgraphSource[]> {
  const config = supergraphConfigSchema.parse(parseYaml(await readFile(configPath, 'utf8')));
  const base = path.dirname(configPath);
  return Promise.all(
    Object.entries(config.subgraphs)
      // Sorted so that the output does not depend on the YAML's order.
      .sort(([a], [b]) => a.localeCompare(b))
      .map(async ([name, subgraph]) => {
        const absolute = path.resolve(base, subgraph.schema.file);
        return {
          name,
          url: subgraph.routing_url,
          file: path.relative(REPO_ROOT, absolute),
          sdl: await readFile(absolute, 'utf8'),
        };
      }),
  );
}

export type CompositionOutcome =
  { ok: true; supergraphSdl: string; hints: string[] } | { ok: false; errors: string[]; hints: string[] };

/** Composes subgraph SDLs into a supergraph with Apollo's composition library (no rover, no network). */
export function compose(subgraphs: SubgraphSource[]): CompositionOutcome {
  const parseErrors: string[] = [];
  const services = subgraphs.flatMap((subgraph) => {
    try {
      // Named after its file, so errors point at the file supergraph.yaml names
      // (`subgraphs/<name>/src/__generated__/schema.graphql:line:column`).
      return [{ name: subgraph.name, url: subgraph.url, typeDefs: parse(new Source(subgraph.sdl, subgraph.file)) }];
    } catch (error) {
      parseErrors.push(parseErrorLine(subgraph.name, subgraph.file, error));
      return [];
    }
  });
  if (parseErrors.length > 0) return { ok: false, errors: parseErrors, hints: [] };

  const result = composeServices(services);
  const hints = (result.hints ?? []).map((hint) => `${hint.definition.code}: ${hint.message}`);
  // Composition errors name types and fields; the subgraph they come from is in `where`.
  if (result.errors) return { ok: false, errors: result.errors.map(formatCompositionError), hints };
  return { ok: true, supergraphSdl: `${result.supergraphSdl.trimEnd()}\n`, hints };
}

/** A subgraph's SDL that does not parse, in one line: `[name] file:line:column: message`, as editors and terminals link it. */
export function parseErrorLine(subgraph: string, file: string, error: unknown): string {
  const at =
    error instanceof GraphQLError && error.locations?.[0]
      ? `:${error.locations[0].line}:${error.locations[0].column}`
      : '';
  return `[${subgraph}] ${file}${at}: ${error instanceof Error ? error.message : String(error)}`;
}

function formatCompositionError(error: GraphQLError): string {
  const code = typeof error.extensions.code === 'string' ? `${error.extensions.code}: ` : '';
  const where = (error.nodes ?? [])
    .map((node) => node.loc && `${node.loc.source.name}:${node.loc.startToken.line}:${node.loc.startToken.column}`)
    .filter(Boolean);
  return `${code}${error.message}${where.length ? ` (at ${where.join(', ')})` : ''}`;
}
