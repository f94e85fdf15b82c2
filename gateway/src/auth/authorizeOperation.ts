import {
  buildSchema,
  execute,
  getNamedType,
  getOperationAST,
  isObjectType,
  isInterfaceType,
  Kind,
  print,
  printSchema,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type GraphQLError,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import {
  type CallerIdentity,
  denial,
  denialKey,
  denialMessage,
  graphError,
  type Requirements,
  type StatusCode,
  sha256Hex,
} from '@car-check/service-kit';
import { isGatewayContext } from '../context';
import type { ExecutorLayer } from '../execution/executor';

interface Denied {
  code: StatusCode;
  message: string;
  coordinate: string;
}

/**
 * The executor layer that enforces the supergraph's `@authenticated` and
 * `@requiresScopes` before planning: fields the caller may not read are
 * removed from the operation (so no subgraph is asked for them), the rest is
 * planned and executed as usual, and the removed fields come back as null
 * with UNAUTHENTICATED or PERMISSION_DENIED on their own paths.
 */
export const authorization: ExecutorLayer = {
  name: 'authorization',
  wrap: (executor, served) => async (requestContext) => {
    const { schema, requirements } = served();
    const { context, document } = requestContext;
    if (!isGatewayContext(context))
      throw new Error('an operation reached the executor without the request path’s context');
    const { operation, denied, filtered } = authorizedFor(
      document,
      requestContext.request.operationName,
      requestContext.operation,
      schema,
      requirements,
      context.caller,
    );
    if (!filtered) return executor(requestContext);

    const result = await executor({ ...requestContext, ...filtered });

    // A non-null field failed at the root: there is no data to shape, only the denials
    // of root fields to report beside the errors that nulled it.
    if (!result.data) {
      return { ...result, errors: [...(result.errors ?? []), ...rootDenials(document, operation, denied)] };
    }

    // Re-run the original operation over the data the gateway produced, so that
    // GraphQL itself places each denial on its concrete path (list indices
    // included) and applies null propagation for non-null fields.
    const shaped = await execute({
      schema: resolverFreeCopy(schema),
      document,
      operationName: operation.name?.value,
      rootValue: result.data,
      variableValues: requestContext.request.variables,
      fieldResolver: (parent, _args, _context, info) => {
        const denial = denied.get(info.fieldNodes[0]!);
        if (denial) throw graphError(denial.code, denial.message, { coordinate: denial.coordinate });
        return (parent as Record<string, unknown> | null)?.[info.path.key as string];
      },
      typeResolver: (value) => (value as { __typename?: string }).__typename,
    });
    return { ...result, data: shaped.data, errors: [...(result.errors ?? []), ...(shaped.errors ?? [])] };
  },
  // Nothing to deny this caller: the operation runs as it came.
  passesUnchanged: ({ document, operationName, operation, caller }, { schema, requirements }) =>
    !authorizedFor(document, operationName, operation, schema, requirements, caller).filtered,
};

/**
 * A subscription's authorization before it starts: the document it runs
 * (without the fields the caller may not read, as for a query), and the
 * denials of its root fields, which refuse the whole subscription (there is
 * no event to mask them in). Each event then goes through the `authorization`
 * layer like any query, which masks the denied fields on their paths.
 */
export function authorizeSubscription(
  document: DocumentNode,
  operationName: string | undefined,
  operation: OperationDefinitionNode,
  served: { schema: GraphQLSchema; requirements: Requirements },
  caller: CallerIdentity,
): { document: DocumentNode; rootDenied: GraphQLError[] } {
  const authorized = authorizedFor(document, operationName, operation, served.schema, served.requirements, caller);
  return {
    document: authorized.filtered?.document ?? document,
    rootDenied: rootDenials(document, authorized.operation, authorized.denied),
  };
}

/** What authorization makes of one document for one kind of caller: the same for every such request. */
interface Authorized {
  /** The operation node from this very document: denials are keyed by its field nodes. */
  operation: OperationDefinitionNode;
  denied: Map<FieldNode, Denied>;
  /** What the executor runs instead, when fields are denied. */
  filtered?: { document: DocumentNode; source: string; operation: OperationDefinitionNode; queryHash: string };
}

/** Kinds of caller (signed in or not, scopes) remembered per document; past it, the document's entry starts over. */
const CALLER_KINDS_PER_DOCUMENT = 32;

/**
 * Per document (the documents stage hands Apollo the same DocumentNode for the
 * same text, and its cache bounds how many live), per schema and requirements
 * (a hot reload brings new ones), per operation and kind of caller: denials
 * depend on nothing else (`denialKey` is what `denial` reads of a caller), so they, the filtered document, its text and its hash are
 * worked out once rather than on every request.
 */
const authorizations = new WeakMap<
  DocumentNode,
  { schema: GraphQLSchema; requirements: Requirements; byCaller: Map<string, Authorized> }
>();

function authorizedFor(
  document: DocumentNode,
  operationName: string | undefined,
  fallback: OperationDefinitionNode,
  schema: GraphQLSchema,
  requirements: Requirements,
  caller: CallerIdentity,
): Authorized {
  let entry = authorizations.get(document);
  if (!entry || entry.schema !== schema || entry.requirements !== requirements) {
    entry = { schema, requirements, byCaller: new Map() };
    authorizations.set(document, entry);
  }
  const key = `${operationName ?? ''}\n${denialKey(caller)}`;
  const known = entry.byCaller.get(key);
  if (known) return known;
  const operation = getOperationAST(document, operationName) ?? fallback;
  const denied = findDenied(schema, document, operation, requirements, caller);
  let authorized: Authorized = { operation, denied };
  if (denied.size > 0) {
    const filteredDocument = withoutFields(document, denied);
    const source = print(filteredDocument);
    authorized = {
      ...authorized,
      filtered: {
        document: filteredDocument,
        source,
        operation: filteredDocument.definitions.find(
          (d): d is OperationDefinitionNode =>
            d.kind === Kind.OPERATION_DEFINITION && d.name?.value === operation.name?.value,
        )!,
        // Plans are cached by hash: the filtered operation must not reuse the full one's plan.
        queryHash: sha256Hex(source),
      },
    };
  }
  if (entry.byCaller.size >= CALLER_KINDS_PER_DOCUMENT) entry.byCaller.clear();
  entry.byCaller.set(key, authorized);
  return authorized;
}

const copies = new WeakMap<GraphQLSchema, GraphQLSchema>();

/**
 * The API schema without the gateway's own resolvers, so that shaping runs
 * only our field resolver (graphql-js ignores `fieldResolver` for fields that
 * carry a resolver of their own).
 */
function resolverFreeCopy(schema: GraphQLSchema): GraphQLSchema {
  let copy = copies.get(schema);
  if (!copy) copies.set(schema, (copy = buildSchema(printSchema(schema))));
  return copy;
}

/** Every field of the operation the caller may not read, with the reason. */
function findDenied(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  requirements: Requirements,
  caller: CallerIdentity,
): Map<FieldNode, Denied> {
  const denied = new Map<FieldNode, Denied>();
  if (requirements.size === 0) return denied;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  const walked = new Set<string>();
  const walk = (selectionSet: SelectionSetNode, parentType: GraphQLNamedType | null | undefined) => {
    if (!parentType || !(isObjectType(parentType) || isInterfaceType(parentType))) return;
    const fields = parentType.getFields();
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const field = fields[selection.name.value];
        if (!field) continue;
        const coordinate = `${parentType.name}.${selection.name.value}`;
        const requirement = requirements.get(coordinate);
        const code = denial(requirement, caller);
        if (code) denied.set(selection, { code, coordinate, message: denialMessage(code, coordinate, requirement) });
        else if (selection.selectionSet) walk(selection.selectionSet, getNamedType(field.type));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(
          selection.selectionSet,
          selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parentType,
        );
      } else if (!walked.has(selection.name.value)) {
        // Denials are keyed by field node, the same wherever a fragment is spread: walk each once.
        walked.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value));
      }
    }
  };
  walk(operation.selectionSet, schema.getRootType(operation.operation));
  return denied;
}

/** The errors of the denied fields selected directly at the root (through fragments too). */
function rootDenials(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  denied: Map<FieldNode, Denied>,
): GraphQLError[] {
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  const errors: GraphQLError[] = [];
  const seen = new Set<string>();
  const walk = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const denial = denied.get(selection);
        const key = selection.alias?.value ?? selection.name.value;
        if (!denial || seen.has(key)) continue;
        seen.add(key);
        errors.push(graphError(denial.code, denial.message, { coordinate: denial.coordinate }, { path: [key] }));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet);
      } else if (!seen.has(`...${selection.name.value}`)) {
        seen.add(`...${selection.name.value}`);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return errors;
}

/** The document without the denied fields; a selection left empty asks for `__typename` instead. */
function withoutFields(document: DocumentNode, denied: Map<FieldNode, Denied>): DocumentNode {
  return visit(document, {
    Field: { enter: (node) => (denied.has(node) ? null : undefined) },
    SelectionSet: {
      leave: (node) =>
        node.selections.length > 0
          ? undefined
          : { ...node, selections: [{ kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } }] },
    },
  });
}
