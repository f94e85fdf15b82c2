import {
  getNamedType,
  getNullableType,
  isInterfaceType,
  isLeafType,
  isListType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { CostModel, ListSize } from './costModel';
import { coerceVariables, listLength, slicedByVariable } from './pageSize';
import { invalidRequest, tooLarge } from '../pipeline/refusal';

/** What an operation asks of the graph, measured before it is validated or run. */
export interface Measurement {
  /** Deepest field nesting (a root field is depth 1); fragments add none. */
  depth: number;
  /** Aliased fields, counted as if every fragment were written out inline. */
  aliases: number;
  /** Field selections, counted as if every fragment were written out inline. */
  fields: number;
  /** Estimated work, by the cost model in docs/security.md (list sizes from `first`/`last`). */
  cost: number;
  /** Whether the cost depends on the request's variables (else it can be cached with the document). */
  usesVariables: boolean;
}

/**
 * A selection set's measure before its parent is known. The cost of a field
 * the parent may size (`edges` under a connection's `first`) stays open until
 * the parent closes it; that is what lets a fragment be measured once and
 * reused wherever it is spread.
 */
interface Open {
  depth: number;
  aliases: number;
  fields: number;
  cost: number;
  /** Field name → cost of one element, and the cost if the parent does not size it. */
  sized: Map<string, { element: number; unsized: number }> | null;
}

const MUTATION_WEIGHT = 10;
const NO_SIZES: ReadonlyMap<string, number> = new Map();

/**
 * Measures one operation in time linear in the document's size, whatever the
 * spelling: each fragment is measured once and its result reused at every
 * spread (a chain of fragments that each spread the previous one twice
 * measures 2^n fields in n steps), and a fragment cycle is refused.
 * Page sizes are read from the variables as execution coerces them (see
 * pageSize.ts), so an explicit null is the subgraphs' default page, not the
 * variable's default. Works on documents not yet validated:
 * unknown fields count as leaves. Recursion is bounded: selection sets by
 * the nesting check before parsing, fragment spreads by `maxFragmentNesting`.
 */
export function measureOperation(
  schema: GraphQLSchema,
  model: CostModel,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> = {},
  /** How deep fragments may spread fragments: bounds this walk's recursion, and validation's after it. */
  maxFragmentNesting = 64,
): Measurement {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const coerced = coerceVariables(schema, operation, variables);
  const memo = new Map<string, Open>();
  const visiting = new Set<string>();
  const mutationType = schema.getMutationType();
  let usesVariables = false;

  const measureSet = (selectionSet: SelectionSetNode, parentType: GraphQLNamedType | undefined): Open => {
    const open: Open = { depth: 0, aliases: 0, fields: 0, cost: 0, sized: null };
    const parentFields =
      parentType && (isObjectType(parentType) || isInterfaceType(parentType)) ? parentType.getFields() : undefined;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const field =
          parentFields?.[name] ??
          (parentType === schema.getQueryType() && name === '__schema' ? SchemaMetaFieldDef : undefined) ??
          (parentType === schema.getQueryType() && name === '__type' ? TypeMetaFieldDef : undefined);
        const coordinate = `${parentType?.name ?? '?'}.${name}`;
        const namedType = field ? getNamedType(field.type) : undefined;
        const listSize = model.listSizes.get(coordinate);

        const child = selection.selectionSet
          ? close(measureSet(selection.selectionSet, namedType), childSizes(field, selection, listSize))
          : { depth: 0, aliases: 0, fields: 0, cost: 0 };
        open.fields += 1 + child.fields;
        open.aliases += (selection.alias ? 1 : 0) + child.aliases;
        open.depth = Math.max(open.depth, 1 + child.depth);

        // Introspection is priced by depth and width alone, as Apollo Router does.
        const introspection = namedType?.name.startsWith('__') ?? false;
        const element =
          (introspection ? 0 : weight(field, coordinate, namedType, parentType === mutationType)) + child.cost;
        const isList = !!field && !introspection && isListType(getNullableType(field.type));
        const ownSize = isList ? lengthOf(field, selection, listSize) : 1;
        const unsized = times(ownSize, element);
        if (isList && model.sizedFieldNames.has(name)) {
          open.sized ??= new Map();
          const term = open.sized.get(name) ?? { element: 0, unsized: 0 };
          open.sized.set(name, { element: term.element + element, unsized: term.unsized + unsized });
        } else {
          open.cost += unsized;
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition
          ? (schema.getType(selection.typeCondition.name.value) ?? undefined)
          : parentType;
        merge(open, measureSet(selection.selectionSet, type));
      } else {
        merge(open, measureFragment(selection.name.value));
      }
    }
    return open;
  };

  const measureFragment = (name: string): Open => {
    const known = memo.get(name);
    if (known) return known;
    const fragment = fragments.get(name);
    // An unknown fragment is for validation to report.
    if (!fragment) return { depth: 0, aliases: 0, fields: 0, cost: 0, sized: null };
    if (visiting.has(name)) throw invalidRequest(`Cannot spread fragment "${name}" within itself.`, { fragment: name });
    if (visiting.size >= maxFragmentNesting) {
      throw tooLarge(`Fragments spread fragments more than ${maxFragmentNesting} levels deep.`, {
        limit: maxFragmentNesting,
      });
    }
    visiting.add(name);
    const measured = measureSet(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined);
    visiting.delete(name);
    memo.set(name, measured);
    return measured;
  };

  const weight = (
    field: GraphQLField<unknown, unknown> | undefined,
    coordinate: string,
    type: GraphQLNamedType | undefined,
    mutationRoot: boolean,
  ): number => {
    const declared = model.fieldWeights.get(coordinate) ?? (type ? model.typeWeights.get(type.name) : undefined);
    if (declared !== undefined) return declared;
    if (mutationRoot) return MUTATION_WEIGHT;
    if (!field || !type) return 1;
    return isLeafType(type) ? 0 : 1;
  };

  const lengthOf = (field: GraphQLField<unknown, unknown>, node: FieldNode, listSize: ListSize | undefined): number => {
    if (slicedByVariable(field, node, listSize)) usesVariables = true;
    return listLength(model, field, node, listSize, coerced);
  };

  /** The sizes a connection field gives its `sizedFields` (e.g. `edges`), from its slicing arguments. */
  const childSizes = (
    field: GraphQLField<unknown, unknown> | undefined,
    node: FieldNode,
    listSize: ListSize | undefined,
  ): ReadonlyMap<string, number> => {
    if (!field || !listSize?.sizedFields.length) return NO_SIZES;
    const size = lengthOf(field, node, listSize);
    return new Map(listSize.sizedFields.map((name) => [name, size]));
  };

  const root = schema.getRootType(operation.operation) ?? undefined;
  const measured = close(measureSet(operation.selectionSet, root), NO_SIZES);
  return { ...measured, usesVariables };
}

/** `size × cost`, where an empty list costs nothing even under an unbounded child. */
function times(size: number, cost: number): number {
  return size === 0 ? 0 : size * cost;
}

function close(open: Open, sizes: ReadonlyMap<string, number>): Omit<Open, 'sized'> {
  let cost = open.cost;
  for (const [name, term] of open.sized ?? []) {
    const size = sizes.get(name);
    cost += size === undefined ? term.unsized : times(size, term.element);
  }
  return { depth: open.depth, aliases: open.aliases, fields: open.fields, cost };
}

function merge(into: Open, from: Open): void {
  into.depth = Math.max(into.depth, from.depth);
  into.aliases += from.aliases;
  into.fields += from.fields;
  into.cost += from.cost;
  if (!from.sized) return;
  into.sized ??= new Map();
  for (const [name, term] of from.sized) {
    const sum = into.sized.get(name) ?? { element: 0, unsized: 0 };
    into.sized.set(name, { element: sum.element + term.element, unsized: sum.unsized + term.unsized });
  }
}
