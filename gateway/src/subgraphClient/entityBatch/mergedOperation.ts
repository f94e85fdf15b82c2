import {
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  OperationTypeNode,
  print,
  stripIgnoredCharacters,
  type VariableDefinitionNode,
  visit,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { EntityFetchShapes, entityFetchDocument, REPRESENTATIONS } from '../entityFetch';

/**
 * Several `_entities` fetches to one subgraph written as one operation: member i's
 * `_entities` field under the alias `_i`, its representations in `$r{i}`, its other
 * variables renamed `{name}_{i}`, and its fragments kept when another member already
 * declares the same one, renamed otherwise.
 */
export interface MergedOperation {
  readonly text: string;
  /** The first member's operation name (the subgraph's logs and metrics name the call after it). */
  readonly operationName?: string;
  /** Per member, each of its variables and its name in the merged operation. */
  readonly variables: readonly (readonly (readonly [string, string])[])[];
}

export interface MergedOperationCacheOptions {
  /** Entries kept, for the member shapes and for the merged operations each. */
  maxEntries: number;
  /** Characters kept (operation texts), for the member shapes and for the merged operations each. */
  maxBytes: number;
}

/** The alias of member i's `_entities` field in a merged operation. */
export const memberAlias = (index: number): string => `_${index}`;

/**
 * Writes merged operations, once per combination of member texts: plans are cached,
 * so their fetches' texts repeat, and a request pays no parse nor print. Both caches are
 * bounded by entries and by characters.
 */
export class MergedOperations {
  /** Which member texts can be merged (plain `_entities` queries). */
  private readonly shapes: EntityFetchShapes;
  private readonly merged: LRUCache<string, MergedOperation>;

  constructor(options: MergedOperationCacheOptions) {
    this.shapes = new EntityFetchShapes(options);
    this.merged = new LRUCache({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (operation, key) => Math.max(1, key.length + operation.text.length),
    });
  }

  /** Whether a fetch with this text may be merged with others. */
  mergeable(text: string): boolean {
    return this.shapes.isEntityFetch(text);
  }

  /** The operation that asks what each of these (mergeable) member texts asks, in this order. */
  operation(texts: readonly string[]): MergedOperation {
    const key = JSON.stringify(texts);
    let operation = this.merged.get(key);
    if (!operation) {
      // Parsed again only here, once per combination: the caches hold text, not documents.
      operation = mergeDocuments(
        texts.map((text) => {
          const document = entityFetchDocument(text);
          if (!document) throw new Error('Only `_entities` fetches can be merged.');
          return document;
        }),
      );
      this.merged.set(key, operation);
    }
    return operation;
  }

  /** Entries held now (tests read it to check the bound). */
  get size(): { shapes: number; merged: number } {
    return { shapes: this.shapes.size, merged: this.merged.size };
  }
}

function mergeDocuments(documents: readonly DocumentNode[]): MergedOperation {
  /** Each fragment declared so far, by name: its definition as written in the merged operation. */
  const declared = new Map<string, string>();
  const fragments: FragmentDefinitionNode[] = [];
  const fields: FieldNode[] = [];
  const variableDefinitions: VariableDefinitionNode[] = [];
  const variables: (readonly [string, string])[][] = [];
  let operationName: string | undefined;

  documents.forEach((document, index) => {
    const renamed = (name: string) => (name === REPRESENTATIONS ? `r${index}` : `${name}_${index}`);
    const own = new Map<string, FragmentDefinitionNode>();
    let operation: OperationDefinitionNode | undefined;
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) own.set(definition.name.value, definition);
      else if (definition.kind === Kind.OPERATION_DEFINITION) operation = definition;
    }
    operation = operation!;
    operationName ??= operation.name?.value;

    /** Each of this member's fragments by the name it has in the merged operation. */
    const names = new Map<string, string>();
    const rewrite = <T extends ASTNode>(node: T): T =>
      visit(node, {
        [Kind.VARIABLE]: (variable) => ({
          ...variable,
          name: { ...variable.name, value: renamed(variable.name.value) },
        }),
        [Kind.FRAGMENT_SPREAD]: (spread) => ({
          ...spread,
          name: { ...spread.name, value: nameOf(spread.name.value) },
        }),
      });
    /**
     * A fragment keeps its name when an earlier member declared that name with the
     * same definition as written (its variables renamed, its spreads resolved), and is
     * then shared; otherwise it is declared under a name not yet taken.
     */
    const nameOf = (name: string): string => {
      const known = names.get(name);
      if (known !== undefined) return known;
      const fragment = own.get(name);
      // A spread of an unknown fragment is invalid; the subgraph says so.
      if (!fragment) return name;
      names.set(name, name); // a cycle (also invalid) resolves to itself
      const written = rewrite(fragment);
      if (declared.get(name) === print(written)) return name;
      let unique = name;
      for (let n = index; declared.has(unique); n++) unique = `${name}_${n}`;
      const definition = { ...written, name: { ...written.name, value: unique } };
      declared.set(unique, print(definition));
      fragments.push(definition);
      names.set(name, unique);
      return unique;
    };
    for (const name of own.keys()) nameOf(name);

    const written = rewrite(operation);
    variableDefinitions.push(...(written.variableDefinitions ?? []));
    variables.push(
      (operation.variableDefinitions ?? []).map((v) => [v.variable.name.value, renamed(v.variable.name.value)]),
    );
    const field = written.selectionSet.selections[0] as FieldNode;
    fields.push({ ...field, alias: { kind: Kind.NAME, value: memberAlias(index) } });
  });

  const merged: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: OperationTypeNode.QUERY,
        ...(operationName ? { name: { kind: Kind.NAME, value: operationName } } : {}),
        variableDefinitions,
        directives: [],
        selectionSet: { kind: Kind.SELECTION_SET, selections: fields },
      },
      ...fragments,
    ],
  };
  return { text: stripIgnoredCharacters(print(merged)), operationName, variables };
}
