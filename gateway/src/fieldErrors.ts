import {
  Kind,
  parse,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type SelectionSetNode,
} from 'graphql';
import { graphError, type StatusCode } from '@car-check/service-kit';

/**
 * When a subgraph call fails as a whole (down, too slow, cancelled), the
 * client should still see which fields failed. This builds one error per field
 * the failed call was asked for, with the path the subgraph itself would have
 * used; the gateway then maps those paths (including `_entities.<i>`) onto the
 * client's response, so every field that needed the subgraph is null with the
 * error on its own path and the rest of the response is intact.
 */
export function fieldErrorsForFailedFetch(
  operation: DocumentNode | string,
  variables: Record<string, unknown> | undefined,
  code: StatusCode,
  message: string,
): GraphQLFormattedError[] {
  const document = typeof operation === 'string' ? parse(operation) : operation;
  const definition = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!definition || definition.kind !== Kind.OPERATION_DEFINITION) return [toFormatted(code, message, undefined)];
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );

  const errors: GraphQLFormattedError[] = [];
  for (const key of responseKeys(definition.selectionSet, fragments, undefined)) {
    if (key.name !== '_entities') {
      errors.push(toFormatted(code, message, [key.responseKey]));
      continue;
    }
    const representations = Array.isArray(variables?.representations) ? variables.representations : [];
    // One error per field asked of each entity: the gateway maps `_entities.<i>.<field>` onto
    // the client's path (e.g. costCenters.edges.3.node.cars), so the error sits on the field
    // that failed, not on the entity that owns it.
    representations.forEach((representation: unknown, index) => {
      const typename = (representation as { __typename?: unknown } | null)?.__typename;
      const fields = key.selectionSet
        ? responseKeys(key.selectionSet, fragments, typeof typename === 'string' ? typename : undefined)
        : [];
      if (fields.length === 0) errors.push(toFormatted(code, message, [key.responseKey, index]));
      for (const field of fields) errors.push(toFormatted(code, message, [key.responseKey, index, field.responseKey]));
    });
  }
  return errors.length ? errors : [toFormatted(code, message, undefined)];
}

interface FieldKey {
  name: string;
  responseKey: string;
  selectionSet?: SelectionSetNode;
}

/** The fields of a selection set (through fragments on `typename`), minus `__typename`. */
function responseKeys(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  typename: string | undefined,
): FieldKey[] {
  const keys: FieldKey[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === '__typename') continue;
      keys.push({
        name: selection.name.value,
        responseKey: selection.alias?.value ?? selection.name.value,
        selectionSet: selection.selectionSet,
      });
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const condition = selection.typeCondition?.name.value;
      if (!condition || typename === undefined || condition === typename) {
        keys.push(...responseKeys(selection.selectionSet, fragments, typename));
      }
    } else {
      const fragment = fragments.get(selection.name.value);
      if (fragment && (typename === undefined || fragment.typeCondition.name.value === typename)) {
        keys.push(...responseKeys(fragment.selectionSet, fragments, typename));
      }
    }
  }
  // One error per response key even if the planner selected a field twice.
  return keys.filter((key, index) => keys.findIndex((k) => k.responseKey === key.responseKey) === index);
}

function toFormatted(code: StatusCode, message: string, path: (string | number)[] | undefined): GraphQLFormattedError {
  const error = graphError(code, message, {}, path ? { path } : {});
  return { message: error.message, ...(path ? { path } : {}), extensions: error.extensions };
}
