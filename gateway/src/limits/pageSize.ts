import {
  getArgumentValues,
  getVariableValues,
  Kind,
  type FieldNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { CostModel, ListSize } from './costModel';

/** Variables as execution will see them: coerced, with defaults applied. */
type CoercedVariables = Readonly<Record<string, unknown>>;

const DEFAULT_SLICING = ['first', 'last'];

/**
 * The request's variables coerced by graphql-js's `getVariableValues`, the
 * function Apollo Gateway runs on the same API schema before it plans
 * anything: an explicit `null` stays null (it does not fall back to the
 * variable's default), an omitted variable takes its default, a single value
 * sent for a list becomes a one-element list.
 *
 * When they do not coerce, the gateway answers with that error and runs
 * nothing, so any price is safe; the measure then prices the operation on the
 * variables' declared defaults alone (or on none, when those do not coerce
 * either), which keeps it finite and independent of what was sent.
 */
export function coerceVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  inputs: Readonly<Record<string, unknown>>,
): CoercedVariables {
  const definitions = operation.variableDefinitions ?? [];
  if (definitions.length === 0) return {};
  const sent = getVariableValues(schema, definitions, inputs, { maxErrors: 1 });
  if (sent.coerced) return sent.coerced;
  return getVariableValues(schema, definitions, {}, { maxErrors: 1 }).coerced ?? {};
}

/** The slicing arguments (`first`, `last`, or those `@listSize` names) the field declares. */
function slicingArguments(field: GraphQLField<unknown, unknown>, listSize: ListSize | undefined) {
  const names = listSize?.slicingArguments.length ? listSize.slicingArguments : DEFAULT_SLICING;
  return field.args.filter((argument) => names.includes(argument.name));
}

/** Whether a slicing argument of this field is given by a variable (the measure then depends on the request's variables). */
export function slicedByVariable(
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  listSize: ListSize | undefined,
): boolean {
  const names = new Set(slicingArguments(field, listSize).map((argument) => argument.name));
  return (
    node.arguments?.some((argument) => names.has(argument.name.value) && argument.value.kind === Kind.VARIABLE) ?? false
  );
}

/**
 * How many elements a list field will return at most, read the way execution
 * reads its arguments (graphql-js's `getArgumentValues` over the coerced
 * variables, so literals, variables, variable defaults and argument defaults
 * mean what they mean to the subgraph):
 *
 * - the largest slicing argument that has a value (negative ones count 0: the
 *   subgraph refuses them);
 * - a slicing argument the field declares but that ends up null or absent is
 *   the subgraphs' default page (`parsePage` serves `first ?? DEFAULT_PAGE_SIZE`),
 *   never 0, or the field's `@listSize(assumedSize:)` when larger;
 * - a list with no slicing argument: its `@listSize(assumedSize:)`, else
 *   `DEFAULT_LIST_SIZE`.
 */
export function listLength(
  model: CostModel,
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  listSize: ListSize | undefined,
  variables: CoercedVariables,
): number {
  const slicing = slicingArguments(field, listSize);
  if (slicing.length === 0) return listSize?.assumedSize ?? model.defaultListSize;
  let values: Record<string, unknown> = {};
  try {
    values = getArgumentValues({ ...field, args: slicing }, node, variables);
  } catch {
    // An argument execution could not coerce: validation refuses the document, nothing runs.
  }
  let size: number | undefined;
  for (const { name } of slicing) {
    const value = values[name];
    if (typeof value === 'number' && Number.isFinite(value)) size = Math.max(size ?? 0, Math.max(0, Math.ceil(value)));
  }
  return size ?? Math.max(model.defaultPageSize, listSize?.assumedSize ?? 0);
}
