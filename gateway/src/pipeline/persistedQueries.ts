import { LRUCache } from 'lru-cache';
import type { GraphQLParams } from './readRequest';
import { invalidRequest, Refusal, unprocessable } from './refusal';
import type { TrustedDocuments } from './trustedDocuments';
import { sha256Hex } from '@car-check/service-kit';

/** The text of the operation to run, and its sha256 (the key of every cache after this stage). */
export interface OperationText {
  query: string;
  hash: string;
  /** An automatic persisted query sent with its text: remember it once it has been admitted. */
  registers: boolean;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Finds the operation's text, whatever the transport: the `query` of a POST
 * body or GET parameter, or a persisted query looked up by its hash: first in
 * the trusted-documents manifest (when one is configured), then among automatic
 * persisted queries (APQ). The APQ store is bounded in bytes, and only texts
 * that passed every limit are stored (see {@link register}), so it cannot be
 * filled with hostile documents. With a manifest set to `only`, nothing but the
 * manifest's documents runs, whichever way a request names them.
 */
export class OperationTexts {
  private readonly persisted: LRUCache<string, string>;

  constructor(
    maxBytes: number,
    private readonly trusted?: TrustedDocuments,
  ) {
    this.persisted = new LRUCache({ maxSize: maxBytes, sizeCalculation: (query) => Math.max(1, query.length) });
  }

  resolve(params: GraphQLParams): OperationText {
    const text = this.find(params);
    if (this.trusted?.only && this.trusted.get(text.hash) === undefined) throw notTrusted();
    return text;
  }

  private find(params: GraphQLParams): OperationText {
    const apq = params.extensions.persistedQuery;
    if (apq === undefined) {
      if (!params.query) throw unprocessable('The request has no `query`.');
      return { query: params.query, hash: sha256Hex(params.query), registers: false };
    }
    const { version, sha256Hash } = (apq ?? {}) as { version?: unknown; sha256Hash?: unknown };
    if (version !== 1)
      throw invalidRequest('Unsupported persisted query version; version 1 is supported.', {
        persistedQueryVersion: version ?? null,
      });
    if (typeof sha256Hash !== 'string' || !SHA256.test(sha256Hash)) {
      throw invalidRequest('`persistedQuery.sha256Hash` must be 64 lower-case hex digits.');
    }
    if (params.query === undefined) {
      const trusted = this.trusted?.get(sha256Hash);
      if (trusted !== undefined) return { query: trusted, hash: sha256Hash, registers: false };
      if (this.trusted?.only) throw notTrusted();
      const query = this.persisted.get(sha256Hash);
      // Apollo's code, which Apollo Client's persisted-query link looks for in the body whatever the
      // status; 404 as the persisted operations RFC has a failed lookup (no `data`, so not a 2xx).
      if (query === undefined)
        throw new Refusal(
          404,
          'NOT_FOUND',
          'PersistedQueryNotFound',
          {},
          { protocolCode: 'PERSISTED_QUERY_NOT_FOUND' },
        );
      return { query, hash: sha256Hash, registers: false };
    }
    if (sha256Hex(params.query) !== sha256Hash)
      throw invalidRequest('The persisted query hash does not match the query.');
    // A manifest's document needs no registering; in `only` mode nothing else may be registered.
    return { query: params.query, hash: sha256Hash, registers: this.trusted?.get(sha256Hash) === undefined };
  }

  register(text: OperationText): void {
    if (text.registers) this.persisted.set(text.hash, text.query);
  }
}

/** Only the manifest's operations run here (a production gateway with TRUSTED_DOCUMENTS_ONLY). */
const notTrusted = () =>
  new Refusal(
    403,
    'PERMISSION_DENIED',
    'This gateway runs only trusted documents: send the id of an operation from the manifest.',
    { reason: 'PERSISTED_QUERY_NOT_IN_LIST' },
  );
