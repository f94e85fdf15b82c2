import { Kind, parse, type ConstDirectiveNode, type DefinitionNode, type EnumTypeDefinitionNode } from 'graphql';

/** What an owner declared of one type with `@cacheEntity` (packages/subgraph-kit/schema/shared.graphql). */
export interface CachePolicy {
  /** The subgraph whose entity fetches of the type may be kept, and whose events invalidate them. */
  owner: string;
  maxAgeMs: number;
  /** Entries are kept per caller, not per kind of caller. */
  perCaller: boolean;
}

/** Type name → its policy, for the types of a supergraph that declare one. */
export type CachePolicies = ReadonlyMap<string, CachePolicy>;

export interface SupergraphCaching {
  policies: CachePolicies;
  /** Each subgraph's routing URL, as the supergraph gives it. */
  routingUrls: ReadonlyMap<string, string>;
}

/** The longest `maxAge` honoured, whatever an SDL says: a day. */
export const MAX_AGE_CEILING_MS = 86_400_000;

/**
 * The `@cacheEntity` declarations of a composed supergraph. Only an owner that is one of the
 * supergraph's subgraphs counts: a declaration naming anything else is ignored (and reported),
 * never trusted to route invalidation.
 */
export function readCachePolicies(
  supergraphSdl: string,
  onIgnored: (type: string, why: string) => void = () => undefined,
): SupergraphCaching {
  const policies = new Map<string, CachePolicy>();
  const { definitions } = parse(supergraphSdl, { noLocation: true });
  const routingUrls = subgraphsOf(definitions);
  const subgraphs = new Set(routingUrls.keys());
  for (const definition of definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    const directive = definition.directives?.find((each) => each.name.value === 'cacheEntity');
    if (!directive) continue;
    const owner = stringArgument(directive, 'owner');
    const maxAge = intArgument(directive, 'maxAge');
    const type = definition.name.value;
    if (owner === undefined || !subgraphs.has(owner)) {
      onIgnored(type, `its owner ${JSON.stringify(owner)} is no subgraph of the supergraph`);
      continue;
    }
    if (maxAge === undefined || maxAge <= 0) {
      onIgnored(type, 'its maxAge is not a positive number of seconds');
      continue;
    }
    policies.set(type, {
      owner,
      maxAgeMs: Math.min(maxAge * 1000, MAX_AGE_CEILING_MS),
      perCaller: booleanArgument(directive, 'perCaller') ?? false,
    });
  }
  return { policies, routingUrls };
}

/** The subgraphs a supergraph composes (its `join__Graph` values), with their routing URLs. */
function subgraphsOf(definitions: readonly DefinitionNode[]): Map<string, string> {
  const graphs = definitions.find(
    (definition): definition is EnumTypeDefinitionNode =>
      definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph',
  );
  return new Map(
    (graphs?.values ?? []).flatMap((value) => {
      const graph = value.directives?.find((each) => each.name.value === 'join__graph');
      const name = graph ? stringArgument(graph, 'name') : undefined;
      return name ? [[name, (graph && stringArgument(graph, 'url')) ?? ''] as const] : [];
    }),
  );
}

const argument = (directive: ConstDirectiveNode, name: string) =>
  directive.arguments?.find((each) => each.name.value === name)?.value;

function stringArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const value = argument(directive, name);
  return value?.kind === Kind.STRING ? value.value : undefined;
}

function intArgument(directive: ConstDirectiveNode, name: string): number | undefined {
  const value = argument(directive, name);
  return value?.kind === Kind.INT ? Number(value.value) : undefined;
}

function booleanArgument(directive: ConstDirectiveNode, name: string): boolean | undefined {
  const value = argument(directive, name);
  return value?.kind === Kind.BOOLEAN ? value.value : undefined;
}

/** The types of a supergraph whose fields answer per caller (`@cacheEntity(perCaller: true)`). */
export function perCallerTypesOf(supergraphSdl: string): ReadonlySet<string> {
  const { policies } = readCachePolicies(supergraphSdl);
  return new Set([...policies].flatMap(([type, policy]) => (policy.perCaller ? [type] : [])));
}
