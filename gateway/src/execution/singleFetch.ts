import { type EnumType, isValidLeafValue, type ScalarType, type Schema } from '@apollo/federation-internals';
import type { FetchNode, QueryPlan } from '@apollo/query-planner';
import {
  getNamedType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  parse,
  print,
  valueFromAST,
  type ArgumentNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** One field of an answer, as the client's operation selects it (fragments inlined). */
interface AnswerField {
  /** Its key in the answer: the alias, else the name. */
  readonly key: string;
  readonly name: string;
  /** Its arguments, printed and sorted: two selections of a field are the same when these are. */
  readonly args: string;
  /** Its type in the API schema. */
  readonly type: GraphQLOutputType;
  /** The fields selected on it, when it is an object. */
  readonly fields?: readonly AnswerField[];
  /** Its type in Apollo's API schema, when it is a leaf: the values Apollo keeps are checked against it. */
  readonly leaf?: ScalarType | EnumType;
}

/**
 * A query whose plan is one fetch, and whose answer is that fetch's data as the
 * subgraph returns it: the fetch selects exactly what the client selected, in
 * on object types only, with no directive. Apollo Gateway's executor would
 * send the same fetch and then rebuild the same object (its
 * `computeResponse`), so the gateway can answer with the data itself once
 * {@link answerOf} has checked what that rebuild checks.
 */
export interface SingleFetch {
  readonly fetch: FetchNode;
  /** The root fields, of the query type. */
  readonly fields: readonly AnswerField[];
  readonly rootType: GraphQLObjectType;
  /** Apollo's API schema (federation-internals), which its result shaping checks leaves against. */
  readonly apiSchema: Schema;
}

/**
 * The single fetch `plan` consists of, when the client's operation can be
 * answered with its data as is; null for every other plan (several fetches,
 * `@requires`, rewrites, abstract types, fragments on other types,
 * directives, introspection beyond `__typename`, a field selected twice):
 * those go through Apollo Gateway's executor.
 */
export function singleFetchOf(
  plan: QueryPlan,
  schemas: { schema: GraphQLSchema; apiSchema: Schema },
  document: DocumentNode,
  operation: OperationDefinitionNode,
): SingleFetch | null {
  const fetch = plan.node;
  if (operation.operation !== 'query' || fetch?.kind !== 'Fetch') return null;
  if (fetch.requires || fetch.inputRewrites?.length || fetch.outputRewrites?.length || fetch.contextRewrites?.length)
    return null;
  const { schema, apiSchema } = schemas;
  const rootType = schema.getQueryType();
  if (!rootType) return null;
  const fetchDocument = fetch.operationDocumentNode ?? parse(fetch.operation);
  const fetchOperation = fetchDocument.definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  if (fetchOperation?.operation !== 'query' || fetchOperation.directives?.length || operation.directives?.length)
    return null;
  const asked = fieldsOf(operation.selectionSet, rootType, fragmentsOf(document), apiSchema);
  const fetched = fieldsOf(fetchOperation.selectionSet, rootType, fragmentsOf(fetchDocument), apiSchema);
  if (!asked || !fetched || !sameFields(asked, fetched)) return null;
  return { fetch, fields: asked, rootType, apiSchema };
}

/** What {@link answerOf} returns for data Apollo Gateway's executor would change. */
export const NOT_AS_IS = Symbol('not as is');

/**
 * The answer's `data` made of `data`, the fetch's answer, exactly as Apollo
 * Gateway's executor would make it; {@link NOT_AS_IS} when that executor
 * would change more than the order of keys. The same objects when the keys
 * are already in the client's order (the subgraph answers in the fetch's,
 * and the planner may put `__typename` first); each object whose keys are
 * not, rebuilt in the client's order. Not as is: a selected key missing, or
 * one more; a null where the API schema says non-null; no list where it says
 * a list; a `__typename` other than its object's; a leaf value Apollo does
 * not keep for its type (an enum value the API schema does not have, a
 * number that is not an integer for `Int` or `ID`, ...). Apollo's executor
 * shapes those (nulls, and their errors).
 */
export function answerOf(single: SingleFetch, data: unknown): unknown {
  return shapeObject(single.apiSchema, single.fields, single.rootType.name, data);
}

function shapeObject(apiSchema: Schema, fields: readonly AnswerField[], typeName: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return NOT_AS_IS;
  const input = value as Record<string, unknown>;
  const keys = Object.keys(input);
  if (keys.length !== fields.length) return NOT_AS_IS;
  let same = true;
  const shaped: unknown[] = [];
  for (let index = 0; index < fields.length; index++) {
    const field = fields[index]!;
    // With as many keys as fields, and the fields' keys distinct: the same keys.
    if (!Object.hasOwn(input, field.key)) return NOT_AS_IS;
    const fieldValue = input[field.key];
    const result =
      field.name === '__typename'
        ? fieldValue === typeName
          ? fieldValue
          : NOT_AS_IS
        : shapeValue(apiSchema, field.type, field, fieldValue);
    if (result === NOT_AS_IS) return NOT_AS_IS;
    if (result !== fieldValue || keys[index] !== field.key) same = false;
    shaped.push(result);
  }
  if (same) return value;
  // No prototype, as Apollo's own: an alias may be `__proto__`.
  const output = Object.create(null) as Record<string, unknown>;
  fields.forEach((field, index) => (output[field.key] = shaped[index]));
  return output;
}

function shapeValue(apiSchema: Schema, type: GraphQLOutputType, field: AnswerField, value: unknown): unknown {
  if (isNonNullType(type)) return value === null ? NOT_AS_IS : shapeValue(apiSchema, type.ofType, field, value);
  if (value === null) return null;
  if (isListType(type)) {
    if (!Array.isArray(value)) return NOT_AS_IS;
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const element: unknown = value[index];
      const result = shapeValue(apiSchema, type.ofType, field, element);
      if (result === NOT_AS_IS) return NOT_AS_IS;
      if (result !== element) (copy ??= value.slice())[index] = result;
    }
    return copy ?? value;
  }
  if (isObjectType(type)) return field.fields ? shapeObject(apiSchema, field.fields, type.name, value) : NOT_AS_IS;
  // The leaf values Apollo Gateway's result shaping keeps: its own rule, against its own API schema.
  return field.leaf && isValidLeafValue(apiSchema, value, field.leaf) ? value : NOT_AS_IS;
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  return fragments;
}

/**
 * The fields a selection set selects on `parent`, fragments inlined in place
 * (as graphql-js collects them); null for anything this shortcut does not
 * handle. Fragments on `parent` itself only, so every object is of the type
 * its field says.
 */
function fieldsOf(
  selectionSet: SelectionSetNode,
  parent: GraphQLObjectType,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  apiSchema: Schema,
  into: AnswerField[] = [],
  depth = 0,
): AnswerField[] | null {
  // Validation has bounded the depth already; this only guards the recursion through fragments.
  if (depth > 64) return null;
  for (const selection of selectionSet.selections) {
    if (selection.directives?.length) return null;
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      const key = selection.alias?.value ?? name;
      if (into.some((field) => field.key === key)) return null;
      if (name === '__typename') {
        if (selection.arguments?.length || selection.selectionSet) return null;
        into.push({ key, name, args: '', type: parent });
        continue;
      }
      const definition = parent.getFields()[name];
      if (!definition) return null;
      const named = getNamedType(definition.type);
      const args = (selection.arguments ?? [])
        .map((argument) => argumentKey(argument, definition))
        .sort()
        .join(',');
      if (isObjectType(named)) {
        if (!selection.selectionSet) return null;
        const fields = fieldsOf(selection.selectionSet, named, fragments, apiSchema, [], depth + 1);
        if (!fields) return null;
        into.push({ key, name, args, type: definition.type, fields });
      } else if (isLeafType(named) && !selection.selectionSet) {
        const leaf = apiSchema.type(named.name);
        if (leaf?.kind !== 'ScalarType' && leaf?.kind !== 'EnumType') return null;
        into.push({ key, name, args, type: definition.type, leaf });
      } else {
        return null;
      }
      continue;
    }
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
    if (!fragment || fragment.directives?.length) return null;
    if (fragment.typeCondition && fragment.typeCondition.name.value !== parent.name) return null;
    if (!fieldsOf(fragment.selectionSet, parent, fragments, apiSchema, into, depth + 1)) return null;
  }
  return into;
}

/**
 * An argument as its value, so that two spellings of one value compare equal:
 * the planner writes `car(id: "1")` as `car(id:1)` (an ID), as the subgraph
 * will read it. Variables, and values that hold one, compare as written.
 */
function argumentKey(argument: ArgumentNode, definition: GraphQLField<unknown, unknown>): string {
  const type = definition.args.find((candidate) => candidate.name === argument.name.value)?.type;
  const value = type ? valueFromAST(argument.value, type) : undefined;
  return `${argument.name.value}:${value === undefined ? print(argument.value) : JSON.stringify(value)}`;
}

/** The same fields, in any order (the answer is written in the client's: answerOf). */
function sameFields(a: readonly AnswerField[], b: readonly AnswerField[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((field) => {
    const other = b.find((candidate) => candidate.key === field.key);
    if (!other) return false;
    if (field.key !== other.key || field.name !== other.name || field.args !== other.args) return false;
    if (!field.fields || !other.fields) return field.fields === other.fields;
    return sameFields(field.fields, other.fields);
  });
}
