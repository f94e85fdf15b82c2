import { Supergraph, type Schema } from '@apollo/federation-internals';
import { Kind, parse } from 'graphql';
import { ANONYMOUS, signRequest } from '@car-check/service-kit';
import { supergraphForGateway } from '../auth/securityFeatures';
import { type BaseConfig, subgraphUrl } from '../config';

/** Why a new supergraph cannot be served yet; null when every subgraph can serve it. */
export interface NotDeployed {
  /** Per subgraph: what the supergraph asks of it that the running subgraph lacks, or why it could not be asked. */
  subgraphs: Record<string, string[]>;
}

interface DeployedCheckOptions {
  signingSecret: Buffer;
  /** Where each subgraph is reached (subgraphUrl). */
  config: Pick<BaseConfig, 'subgraphUrls'>;
  timeoutMs: number;
}

/**
 * Whether the subgraphs that are running can serve `supergraphSdl`: for each
 * subgraph, every type, field, input field and enum value the supergraph
 * expects of it must be in the SDL it serves now (`_service { sdl }`, asked
 * with a signed request). Additions therefore wait until the subgraph that
 * adds them is deployed; removals pass at once (the running subgraph still has
 * what it no longer needs to serve), matching the rollout order in the team
 * guide: deploy, then publish; for a removal, publish, then deploy.
 */
export async function notDeployed(supergraphSdl: string, options: DeployedCheckOptions): Promise<NotDeployed | null> {
  const supergraph = Supergraph.build(supergraphForGateway(supergraphSdl));
  const missing: Record<string, string[]> = {};
  await Promise.all(
    [...supergraph.subgraphs()].map(async (subgraph) => {
      const expected = coordinatesOfSubgraph(subgraph.schema);
      let live: Set<string>;
      try {
        live = coordinatesOfSdl(
          await serviceSdl(subgraph.name, subgraphUrl(options.config, subgraph.name, subgraph.url), options),
        );
      } catch (error) {
        missing[subgraph.name] = [`cannot read its schema: ${error instanceof Error ? error.message : String(error)}`];
        return;
      }
      const absent = [...expected].filter((coordinate) => !live.has(coordinate));
      if (absent.length > 0) missing[subgraph.name] = absent.sort();
    }),
  );
  return Object.keys(missing).length > 0 ? { subgraphs: missing } : null;
}

async function serviceSdl(name: string, url: string, options: DeployedCheckOptions): Promise<string> {
  const body = JSON.stringify({ query: '{ _service { sdl } }' });
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(await signRequest(
        { ...ANONYMOUS, service: 'gateway' },
        { method: 'POST', url, body },
        options.signingSecret,
        { audience: name },
      )),
    },
    body,
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const answer = (await response.json()) as { data?: { _service?: { sdl?: unknown } } };
  const sdl = answer.data?._service?.sdl;
  if (typeof sdl !== 'string') throw new Error(`HTTP ${response.status} without an SDL`);
  return sdl;
}

// Federation's own types and fields (`_service`, `_entities`, `link__Import`, ...) are not the team's schema.
const own = (name: string) => !name.startsWith('_') && !name.includes('__');

/** `Type.field` / `Input.field` / `Enum.VALUE` of a subgraph as the supergraph describes it. */
function coordinatesOfSubgraph(schema: Schema): Set<string> {
  const coordinates = new Set<string>();
  for (const type of schema.types()) {
    if (!own(type.name)) continue;
    if ('fields' in type && typeof type.fields === 'function') {
      for (const field of (type.fields as () => { name: string }[])())
        if (own(field.name)) coordinates.add(`${type.name}.${field.name}`);
    }
    if (type.kind === 'EnumType') for (const value of type.values) coordinates.add(`${type.name}.${value.name}`);
  }
  return coordinates;
}

/** The same coordinates, read from the SDL a subgraph serves (type definitions and extensions alike). */
function coordinatesOfSdl(sdl: string): Set<string> {
  const coordinates = new Set<string>();
  for (const definition of parse(sdl).definitions) {
    if (!('name' in definition) || !definition.name) continue;
    const type = definition.name.value;
    if ('fields' in definition && definition.fields)
      for (const field of definition.fields) coordinates.add(`${type}.${field.name.value}`);
    if (
      (definition.kind === Kind.ENUM_TYPE_DEFINITION || definition.kind === Kind.ENUM_TYPE_EXTENSION) &&
      definition.values
    ) {
      for (const value of definition.values) coordinates.add(`${type}.${value.name.value}`);
    }
  }
  return coordinates;
}
