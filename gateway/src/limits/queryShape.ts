import {
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/** What a query asks of the graph, measured before anything runs. */
export interface QueryShape {
  /** Deepest field nesting (a root field is depth 1). */
  depth: number;
  aliases: number;
  fields: number;
  /** Estimated work: every field counts 1, and a paged field multiplies what is under it by its page size. */
  cost: number;
}

// A connection without `first` returns this many items (the graph's default page).
const DEFAULT_PAGE = 20;

/**
 * Measures an operation, following fragments. Linear in the size of the
 * document (each fragment is measured once per place it is spread, and a
 * fragment that spreads itself counts as infinitely deep), so a hostile query
 * is measured in about the time it took to parse.
 */
export function measureOperation(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): QueryShape {
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  const shape: QueryShape = { depth: 0, aliases: 0, fields: 0, cost: 0 };

  const walk = (selectionSet: SelectionSetNode, depth: number, visiting: Set<string>): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        shape.fields += 1;
        if (selection.alias) shape.aliases += 1;
        shape.depth = Math.max(shape.depth, depth);
        const children = selection.selectionSet ? walk(selection.selectionSet, depth + 1, visiting) : 0;
        cost += 1 + pageSize(selection, variables) * children;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        cost += walk(selection.selectionSet, depth, visiting);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment) continue;
        if (visiting.has(name)) {
          shape.depth = Number.POSITIVE_INFINITY;
          continue;
        }
        cost += walk(fragment.selectionSet, depth, new Set(visiting).add(name));
      }
    }
    return cost;
  };
  shape.cost = walk(operation.selectionSet, 1, new Set());
  return shape;
}

function pageSize(field: FieldNode, variables: Record<string, unknown>): number {
  const first = field.arguments?.find((argument) => argument.name.value === 'first');
  if (first) {
    const value = valueOf(first.value, variables);
    return typeof value === 'number' && value > 0 ? value : DEFAULT_PAGE;
  }
  // A connection asked for without `first` gets the default page.
  return field.selectionSet?.selections.some((s) => s.kind === Kind.FIELD && s.name.value === 'edges') ? DEFAULT_PAGE : 1;
}

function valueOf(value: ValueNode, variables: Record<string, unknown>): unknown {
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) return variables[value.name.value];
  return undefined;
}
