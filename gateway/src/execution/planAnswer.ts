import { type EnumType, isValidLeafValue, type ScalarType, type Schema } from '@apollo/federation-internals';
import type { PlanNode, QueryPlan } from '@apollo/query-planner';
import {
  getNamedType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  valueFromASTUntyped,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { fetchesOf, runnablePlan } from './runPlan';

/** One field of an answer, as the client's operation selects it (fragments inlined). */
interface AnswerField {
  /** Its key in the answer: the alias, else the name. */
  readonly key: string;
  readonly name: string;
  /** Its type in the API schema. */
  readonly type: GraphQLOutputType;
  /** The fields selected on it, when it is an object. */
  readonly fields?: readonly AnswerField[];
  /** Its type in Apollo's API schema, when it is a leaf: the values Apollo keeps are checked against it. */
  readonly leaf?: ScalarType | EnumType;
  /** The `@include` and `@skip` on it and on the fragments around it: it is in the answer when all hold. */
  readonly conditions?: readonly Condition[];
}

/** `@include(if: …)` (include true) or `@skip(if: …)` (include false): a literal, or a variable's name. */
interface Condition {
  readonly include: boolean;
  readonly if: boolean | { readonly variable: string };
}

/**
 * A query whose plan the gateway can run itself (execution/runPlan.ts) and whose answer it can
 * make of the plan's merged data as Apollo Gateway's result shaping (its `computeResponse`)
 * would: the client selects object types only, with no directive but `@include` and `@skip`
 * and no introspection but `__typename`, so that the answer is the merged data's selected
 * fields (those the variables include), in the client's order, once {@link answerOf} has
 * checked what that shaping checks.
 */
export interface AnswerablePlan {
  /** The plan's root node, run by runPlan. */
  readonly node: PlanNode;
  /** How many fetches it may make, every branch of a condition counted (FAST_SINGLE_FETCH governs plans of one). */
  readonly fetches: number;
  /** The root fields, of the query type. */
  readonly fields: readonly AnswerField[];
  readonly rootType: GraphQLObjectType;
  /** Apollo's API schema (federation-internals), which its result shaping checks leaves against. */
  readonly apiSchema: Schema;
  /** The operation's variables' default values, which a condition reads when the client sent none. */
  readonly defaults: Readonly<Record<string, unknown>>;
}

/**
 * The plan of the client's query, when the gateway can run it and make its answer as Apollo
 * Gateway's executor would; null for every other one (mutations, @defer, data rewrites,
 * abstract types, fragments on other types, directives but `@include` and `@skip`,
 * introspection beyond `__typename`, a key selected twice): those go through Apollo Gateway's executor.
 */
export function answerablePlanOf(
  plan: QueryPlan,
  schemas: { schema: GraphQLSchema; apiSchema: Schema },
  document: DocumentNode,
  operation: OperationDefinitionNode,
): AnswerablePlan | null {
  const node = plan.node;
  if (operation.operation !== 'query' || operation.directives?.length || !node || node.kind === 'Subscription')
    return null;
  if (!runnablePlan(node)) return null;
  const { schema, apiSchema } = schemas;
  const rootType = schema.getQueryType();
  if (!rootType) return null;
  const fields = fieldsOf(operation.selectionSet, rootType, fragmentsOf(document), apiSchema);
  if (!fields) return null;
  const defaults: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const definition of operation.variableDefinitions ?? [])
    if (definition.defaultValue)
      defaults[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
  return { node, fetches: fetchesOf(node).length, fields, rootType, apiSchema, defaults };
}

/** What {@link answerOf} returns for data Apollo Gateway's result shaping would do more with than select. */
export const NOT_AS_IS = Symbol('not as is');

/**
 * The answer's `data` made of `data`, the plan's merged data, exactly as Apollo Gateway's
 * result shaping would make it; {@link NOT_AS_IS} when that shaping would do more than pick the
 * selected keys in the client's order (a key under `@include` or `@skip` is selected as the
 * client's `variables`, or else the operation's defaults, say). The same objects when they hold
 * exactly those keys in that order (a single fetch that selects what the client selected);
 * otherwise each object is rebuilt with the selected keys only (the planner adds `__typename`
 * and keys to fetch entities). Not as is: a selected key missing; an object whose `__typename` names another
 * type; a null where the API schema says non-null; no list where it says a list; a leaf value
 * Apollo does not keep for its type (an enum value the API schema does not have, a number that
 * is not an integer for `Int` or `ID`, ...); a condition's value that is not a boolean.
 * Apollo's executor shapes those (nulls, and their errors).
 */
export function answerOf(
  plan: AnswerablePlan,
  data: unknown,
  variables: Readonly<Record<string, unknown>> = {},
): unknown {
  return shapeObject({ plan, variables }, plan.fields, plan.rootType.name, data);
}

/** What shaping one answer reads: the plan, and the client's variables (for `@include` and `@skip`). */
interface Shaping {
  readonly plan: AnswerablePlan;
  readonly variables: Readonly<Record<string, unknown>>;
}

/**
 * Whether `field` is in the answer, as Apollo's result shaping decides (its shouldSkip): every
 * condition holds, a variable read from the client's values, else its default. NOT_AS_IS when a
 * condition's value is not a boolean (Apollo's shaping fails on it).
 */
function isIncluded({ plan, variables }: Shaping, field: AnswerField): boolean | typeof NOT_AS_IS {
  if (!field.conditions) return true;
  let included = true;
  for (const condition of field.conditions) {
    let value: unknown = condition.if;
    if (typeof condition.if === 'object') {
      const name = condition.if.variable;
      value = Object.hasOwn(variables, name) && variables[name] !== undefined ? variables[name] : plan.defaults[name];
    }
    if (typeof value !== 'boolean') return NOT_AS_IS;
    if (value !== condition.include) included = false;
  }
  return included;
}

function shapeObject(shaping: Shaping, fields: readonly AnswerField[], typeName: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return NOT_AS_IS;
  const input = value as Record<string, unknown>;
  // Apollo shapes an object as the type its `__typename` names.
  if (Object.hasOwn(input, '__typename') && input.__typename !== typeName) return NOT_AS_IS;
  const keys = Object.keys(input);
  const selected: AnswerField[] = [];
  const shaped: unknown[] = [];
  let same = true;
  for (const field of fields) {
    const included = isIncluded(shaping, field);
    if (included === NOT_AS_IS) return NOT_AS_IS;
    if (!included) continue;
    if (!Object.hasOwn(input, field.key)) return NOT_AS_IS;
    const fieldValue = input[field.key];
    const result =
      field.name === '__typename'
        ? fieldValue === typeName
          ? fieldValue
          : NOT_AS_IS
        : shapeValue(shaping, field.type, field, fieldValue);
    if (result === NOT_AS_IS) return NOT_AS_IS;
    // Each selected field's key in its place, and no other key: the same keys, in order.
    if (result !== fieldValue || keys[selected.length] !== field.key) same = false;
    selected.push(field);
    shaped.push(result);
  }
  if (same && keys.length === selected.length) return value;
  // No prototype, as Apollo's own: an alias may be `__proto__`.
  const output = Object.create(null) as Record<string, unknown>;
  selected.forEach((field, index) => (output[field.key] = shaped[index]));
  return output;
}

function shapeValue(shaping: Shaping, type: GraphQLOutputType, field: AnswerField, value: unknown): unknown {
  if (isNonNullType(type)) return value === null ? NOT_AS_IS : shapeValue(shaping, type.ofType, field, value);
  if (value === null) return null;
  if (isListType(type)) {
    if (!Array.isArray(value)) return NOT_AS_IS;
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const element: unknown = value[index];
      const result = shapeValue(shaping, type.ofType, field, element);
      if (result === NOT_AS_IS) return NOT_AS_IS;
      if (result !== element) (copy ??= value.slice())[index] = result;
    }
    return copy ?? value;
  }
  if (isObjectType(type)) return field.fields ? shapeObject(shaping, field.fields, type.name, value) : NOT_AS_IS;
  // The leaf values Apollo Gateway's result shaping keeps: its own rule, against its own API schema.
  return field.leaf && isValidLeafValue(shaping.plan.apiSchema, value, field.leaf) ? value : NOT_AS_IS;
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  return fragments;
}

/**
 * The fields a selection set selects on `parent`, fragments inlined in place
 * (as graphql-js collects them), each with the `@include` and `@skip` on it and
 * on the fragments around it; null for anything this does not handle (another
 * directive, a key selected twice, a fragment on another type). Fragments on
 * `parent` itself only, so every object is of the type its field says.
 */
function fieldsOf(
  selectionSet: SelectionSetNode,
  parent: GraphQLObjectType,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  apiSchema: Schema,
  into: AnswerField[] = [],
  depth = 0,
  around: readonly Condition[] = [],
): AnswerField[] | null {
  // Validation has bounded the depth already; this only guards the recursion through fragments.
  if (depth > 64) return null;
  for (const selection of selectionSet.selections) {
    const own = conditionsOf(selection.directives);
    if (!own) return null;
    const conditions = own.length ? [...around, ...own] : around;
    const withConditions = conditions.length ? { conditions } : {};
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      const key = selection.alias?.value ?? name;
      if (into.some((field) => field.key === key)) return null;
      if (name === '__typename') {
        if (selection.arguments?.length || selection.selectionSet) return null;
        into.push({ key, name, type: parent, ...withConditions });
        continue;
      }
      const definition = parent.getFields()[name];
      if (!definition) return null;
      const named = getNamedType(definition.type);
      if (isObjectType(named)) {
        if (!selection.selectionSet) return null;
        const fields = fieldsOf(selection.selectionSet, named, fragments, apiSchema, [], depth + 1);
        if (!fields) return null;
        into.push({ key, name, type: definition.type, fields, ...withConditions });
      } else if (isLeafType(named) && !selection.selectionSet) {
        const leaf = apiSchema.type(named.name);
        if (leaf?.kind !== 'ScalarType' && leaf?.kind !== 'EnumType') return null;
        into.push({ key, name, type: definition.type, leaf, ...withConditions });
      } else {
        return null;
      }
      continue;
    }
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
    if (!fragment || (selection.kind === Kind.FRAGMENT_SPREAD && fragment.directives?.length)) return null;
    if (fragment.typeCondition && fragment.typeCondition.name.value !== parent.name) return null;
    if (!fieldsOf(fragment.selectionSet, parent, fragments, apiSchema, into, depth + 1, conditions)) return null;
  }
  return into;
}

/** The `@include` and `@skip` of a selection; null when it has any other directive. */
function conditionsOf(directives: readonly DirectiveNode[] | undefined): Condition[] | null {
  const conditions: Condition[] = [];
  for (const directive of directives ?? []) {
    const name = directive.name.value;
    if (name !== 'include' && name !== 'skip') return null;
    const argument = directive.arguments?.find((candidate) => candidate.name.value === 'if')?.value;
    if (argument?.kind === Kind.BOOLEAN) conditions.push({ include: name === 'include', if: argument.value });
    else if (argument?.kind === Kind.VARIABLE)
      conditions.push({ include: name === 'include', if: { variable: argument.name.value } });
    else return null;
  }
  return conditions;
}
