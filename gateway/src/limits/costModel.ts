import { Kind, type DirectiveNode, type DocumentNode, type ValueNode } from 'graphql';
import { DEFAULT_PAGE_SIZE } from '@car-check/service-kit';

/** `@listSize` on a field: where its list's length comes from (Federation 2.9 demand control). */
export interface ListSize {
  /** A fixed length for lists whose size no argument states. */
  assumedSize?: number;
  /** Arguments that cap the length (`first`, `last`); the largest given wins. */
  slicingArguments: string[];
  /** Child fields whose length the slicing arguments set (`edges` of a connection). */
  sizedFields: string[];
}

/**
 * What the supergraph says about the cost of its fields: `@cost(weight:)` on
 * fields and types, `@listSize` on list and connection fields. Read once per
 * supergraph load; the measure reads it for every request.
 */
export interface CostModel {
  fieldWeights: ReadonlyMap<string, number>;
  typeWeights: ReadonlyMap<string, number>;
  listSizes: ReadonlyMap<string, ListSize>;
  /** Every name some `@listSize(sizedFields:)` mentions: only those fields can be sized by their parent. */
  sizedFieldNames: ReadonlySet<string>;
  /** Length assumed for a list that states none. */
  defaultListSize: number;
  /** Length of a page whose slicing argument is null or left out: what the subgraphs then serve (packages/subgraph-kit/src/graphql/pagination.ts). */
  defaultPageSize: number;
}

// Imported as `@cost`/`@listSize`, or under the spec's prefix when not imported.
const COST = new Set(['cost', 'cost__cost']);
const LIST_SIZE = new Set(['listSize', 'cost__listSize']);

export function readCostModel(supergraph: DocumentNode, defaultListSize: number): CostModel {
  const fieldWeights = new Map<string, number>();
  const typeWeights = new Map<string, number>();
  const listSizes = new Map<string, ListSize>();
  const sizedFieldNames = new Set<string>();
  for (const definition of supergraph.definitions) {
    if (!('name' in definition) || !definition.name || !('directives' in definition)) continue;
    const typeName = definition.name.value;
    const typeWeight = weightOf(definition.directives ?? []);
    if (typeWeight !== undefined) typeWeights.set(typeName, typeWeight);
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      definition.kind !== Kind.INTERFACE_TYPE_EXTENSION
    ) {
      continue;
    }
    for (const field of definition.fields ?? []) {
      const coordinate = `${typeName}.${field.name.value}`;
      const weight = weightOf(field.directives ?? []);
      if (weight !== undefined) fieldWeights.set(coordinate, weight);
      const listSize = listSizeOf(field.directives ?? []);
      if (listSize) {
        listSizes.set(coordinate, listSize);
        for (const name of listSize.sizedFields) sizedFieldNames.add(name);
      }
    }
  }
  return { fieldWeights, typeWeights, listSizes, sizedFieldNames, defaultListSize, defaultPageSize: DEFAULT_PAGE_SIZE };
}

function argument(directive: DirectiveNode, name: string): ValueNode | undefined {
  return directive.arguments?.find((a) => a.name.value === name)?.value;
}

function intOf(value: ValueNode | undefined): number | undefined {
  return value?.kind === Kind.INT ? Number(value.value) : undefined;
}

function stringsOf(value: ValueNode | undefined): string[] {
  if (value?.kind === Kind.STRING) return [value.value];
  if (value?.kind !== Kind.LIST) return [];
  return value.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : []));
}

function weightOf(directives: readonly DirectiveNode[]): number | undefined {
  const cost = directives.find((d) => COST.has(d.name.value));
  return cost ? intOf(argument(cost, 'weight')) : undefined;
}

function listSizeOf(directives: readonly DirectiveNode[]): ListSize | undefined {
  const directive = directives.find((d) => LIST_SIZE.has(d.name.value));
  if (!directive) return undefined;
  return {
    assumedSize: intOf(argument(directive, 'assumedSize')),
    slicingArguments: stringsOf(argument(directive, 'slicingArguments')),
    sizedFields: stringsOf(argument(directive, 'sizedFields')),
  };
}
