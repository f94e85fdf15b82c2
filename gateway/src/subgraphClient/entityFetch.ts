import { type DocumentNode, Kind, type OperationDefinitionNode, parse } from 'graphql';
import { LRUCache } from 'lru-cache';

/**
 * What an entity fetch is: the `_entities(representations: $representations)` query Apollo's
 * planner writes. The batcher merges only such fetches, and the entity cache answers only
 * them, so both ask this one classifier.
 */

/** The one variable every `_entities` fetch of Apollo's planner has. */
export const REPRESENTATIONS = 'representations';

/**
 * The fetch's document when it is what Apollo's planner writes for an entity fetch:
 * one query, no directives, whose only field is `_entities(representations: $representations)`.
 */
export function entityFetchDocument(text: string): DocumentNode | null {
  let document: DocumentNode;
  try {
    document = parse(text, { noLocation: true });
  } catch {
    return null;
  }
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1) return null;
  const [operation] = operations as [OperationDefinitionNode];
  if (operation.operation !== 'query' || operation.directives?.length) return null;
  if (!operation.variableDefinitions?.some((v) => v.variable.name.value === REPRESENTATIONS)) return null;
  const [field, ...others] = operation.selectionSet.selections;
  if (others.length || field?.kind !== Kind.FIELD) return null;
  if (field.name.value !== '_entities' || field.alias || field.directives?.length) return null;
  const [argument, ...moreArguments] = field.arguments ?? [];
  if (moreArguments.length || argument?.name.value !== REPRESENTATIONS) return null;
  if (argument.value.kind !== Kind.VARIABLE || argument.value.name.value !== REPRESENTATIONS) return null;
  return document;
}

/**
 * Whether fetch texts are entity fetches, remembered per text: plans are cached, so their
 * fetches' texts repeat and each is parsed once. Bounded by entries and by characters; only
 * the answer is kept, not the document.
 */
export class EntityFetchShapes {
  private readonly shapes: LRUCache<string, boolean>;

  constructor(options: { maxEntries: number; maxBytes: number }) {
    this.shapes = new LRUCache({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (_isEntityFetch, text) => Math.max(1, text.length),
    });
  }

  isEntityFetch(text: string): boolean {
    let answer = this.shapes.get(text);
    if (answer === undefined) {
      answer = entityFetchDocument(text) !== null;
      this.shapes.set(text, answer);
    }
    return answer;
  }

  get size(): number {
    return this.shapes.size;
  }
}
