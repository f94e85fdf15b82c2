import {
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { checkLimits, type QueryLimits } from '../limits/checkLimits';
import type { ServedSchema } from '../supergraph/servedSchema';
import { measureOperation, type Measurement } from '../limits/measure';
import { graphqlNesting } from './nesting';
import type { OperationText } from './persistedQueries';
import { invalidRequest, methodNotAllowed, Refusal, tooLarge, unprocessable } from './refusal';

/** A parsed document, cached by the hash of its text, with what has been learnt about it. */
interface ParsedDocument {
  document: DocumentNode;
  /** The schema it passed validation against (a hot reload invalidates it). */
  validatedFor: GraphQLSchema | null;
  /** Measurements that do not depend on variables, by operation name. */
  measurements: Map<string, Measurement>;
}

interface DocumentOptions {
  limits: QueryLimits;
  introspection: boolean;
  /** Bytes of operation text kept parsed (the ASTs take some 20-50 times more). */
  cacheBytes: number;
}

/**
 * Parse, measure and validate, each done once per distinct document and
 * schema: the document is parsed with the token limit (after a one-pass
 * check of its nesting, so the recursive parser cannot overflow), every limit
 * is measured on it with the request's variables, and it is validated only
 * once it is known to be small. Apollo Server then executes the very same
 * document: this class is also its `documentStore`, which hands back only
 * documents validated here against the current schema, so Apollo parses and
 * validates nothing itself.
 */
export class Documents {
  private readonly parsed: LRUCache<string, ParsedDocument>;
  private readonly rules: readonly ValidationRule[];

  constructor(private readonly options: DocumentOptions) {
    this.parsed = new LRUCache({
      max: 10_000,
      maxSize: options.cacheBytes,
      sizeCalculation: (entry) => entry.document.loc?.end ?? 1,
    });
    this.rules = options.introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule];
  }

  /**
   * Runs parse → select → measure → validate for one request, refusing at the
   * first stage that fails. Returns the operation Apollo will execute.
   */
  admit(
    text: OperationText,
    operationName: string | undefined,
    method: 'GET' | 'POST',
    variables: Record<string, unknown>,
    served: Pick<ServedSchema, 'schema' | 'costModel'>,
    streaming = false,
  ): OperationDefinitionNode {
    const entry = this.parse(text);
    const operation = selectOperation(entry.document, operationName, method, streaming);
    try {
      checkLimits(this.measure(entry, operation, variables, served), this.options.limits);
    } catch (error) {
      // The limits are the server's own validation rules (the draft's "Validation"): 422 like the others.
      throw error instanceof Refusal ? error.withStatus(422) : error;
    }
    if (entry.validatedFor !== served.schema) {
      const errors = validate(served.schema, entry.document, this.rules);
      if (errors.length > 0) {
        const [first, ...more] = errors;
        throw unprocessable(first!.message, {}, { locations: first!.locations, more: more.map((e) => e.toJSON()) });
      }
      entry.validatedFor = served.schema;
      entry.measurements.clear();
    }
    return operation;
  }

  /** The document of a text `admit` has just admitted (parsed once, kept in the cache). */
  documentOf(text: OperationText): DocumentNode {
    return this.parse(text).document;
  }

  private parse(text: OperationText): ParsedDocument {
    const cached = this.parsed.get(text.hash);
    if (cached) return cached;
    const { maxNesting, maxTokens } = this.options.limits;
    if (graphqlNesting(text.query) > maxNesting) {
      throw tooLarge(`The document nests deeper than ${maxNesting} levels.`, { limit: maxNesting });
    }
    let document: DocumentNode;
    try {
      document = parse(text.query, { maxTokens });
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      if (error.message.includes('tokens. Parsing aborted')) {
        throw tooLarge(`The document has more than ${maxTokens} tokens.`, { limit: maxTokens });
      }
      throw invalidRequest(error.message, {}, { locations: error.locations });
    }
    const entry: ParsedDocument = { document, validatedFor: null, measurements: new Map() };
    this.parsed.set(text.hash, entry);
    return entry;
  }

  private measure(
    entry: ParsedDocument,
    operation: OperationDefinitionNode,
    variables: Record<string, unknown>,
    served: Pick<ServedSchema, 'schema' | 'costModel'>,
  ): Measurement {
    const key = operation.name?.value ?? '';
    const known = entry.validatedFor === served.schema ? entry.measurements.get(key) : undefined;
    if (known) return known;
    const measured = measureOperation(
      served.schema,
      served.costModel,
      entry.document,
      operation,
      variables,
      this.options.limits.maxNesting,
    );
    if (!measured.usesVariables && entry.validatedFor === served.schema) entry.measurements.set(key, measured);
    return measured;
  }

  /** Forgets what was learnt under the previous schema (hot reload). */
  schemaChanged(): void {
    this.parsed.forEach((entry) => {
      entry.validatedFor = null;
      entry.measurements.clear();
    });
  }

  // Apollo Server's documentStore: keys are `<schema hash>:<sha256 of the text>`.
  async get(key: string): Promise<DocumentNode | undefined> {
    const entry = this.parsed.peek(key.slice(-64));
    return entry?.validatedFor ? entry.document : undefined;
  }

  async set(): Promise<void> {
    // Apollo stores what it parsed itself; this store holds only what the gateway admitted.
  }

  async delete(key: string): Promise<boolean> {
    return this.parsed.delete(key.slice(-64));
  }
}

/**
 * The operation a request names, refusing what cannot be run: no operation,
 * an unknown or missing name among several, a subscription unless the
 * client asked for a stream (`streaming`: multipart, SSE or WebSocket), and
 * anything but a query over GET.
 */
export function selectOperation(
  document: DocumentNode,
  operationName: string | undefined,
  method: 'GET' | 'POST',
  streaming = false,
): OperationDefinitionNode {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  let operation: OperationDefinitionNode | undefined;
  if (operationName !== undefined) {
    operation = operations.find((o) => o.name?.value === operationName);
    if (!operation) throw unprocessable(`The document has no operation named "${operationName.slice(0, 100)}".`);
  } else if (operations.length === 1) {
    operation = operations[0];
  } else {
    throw unprocessable(
      operations.length === 0
        ? 'The document contains no operation.'
        : 'The document has several operations: name one with `operationName`.',
    );
  }
  if (operation!.operation === 'subscription' && (!streaming || method === 'GET')) {
    throw new Refusal(
      422,
      'UNIMPLEMENTED',
      'A subscription needs a stream: POST it accepting multipart/mixed;subscriptionSpec="1.0" (Apollo Client) or text/event-stream (graphql-sse), or send it over WebSocket (graphql-transport-ws).',
    );
  }
  if (method === 'GET' && operation!.operation !== 'query') {
    throw methodNotAllowed(`GET requests run queries only; send a ${operation!.operation} with POST.`);
  }
  return operation!;
}
