import path from 'node:path';
import { z } from 'zod';
import { ConfigError, flag, positiveCount } from '@car-check/service-kit';
import { OperationTexts } from '../persistedQueries';
import { defineStage, need } from '../stage';
import { loadTrustedDocuments, type TrustedDocuments } from '../trustedDocuments';

/**
 * The operation's text: the query sent, a trusted document by id (TRUSTED_DOCUMENTS,
 * only those with TRUSTED_DOCUMENTS_ONLY), or an automatic persisted query,
 * remembered (PERSISTED_QUERIES_BYTES) once it has passed every limit.
 */
export const operationText = defineStage({
  name: 'operationText',
  env: {
    PERSISTED_QUERIES_BYTES: positiveCount(16 * 1024 * 1024),
    TRUSTED_DOCUMENTS: z.string().min(1).optional(),
    TRUSTED_DOCUMENTS_ONLY: flag(false),
  },
  configure: (env) => ({
    /** Bytes of automatic persisted query text kept (least recently used first out). */
    persistedQueriesBytes: env.PERSISTED_QUERIES_BYTES,
    /** The trusted-documents manifest (operations by id), if any. */
    trustedDocuments: trustedDocumentsFrom(env.TRUSTED_DOCUMENTS, env.TRUSTED_DOCUMENTS_ONLY),
  }),
  create: (config) => {
    const texts = new OperationTexts(config.persistedQueriesBytes, config.trustedDocuments);
    return async (request, next) => {
      const text = texts.resolve(need(request.params, 'GraphQL request'));
      request.text = text;
      request.onAdmitted = () => texts.register(text);
      return next();
    };
  },
});

function trustedDocumentsFrom(file: string | undefined, only: boolean): TrustedDocuments | undefined {
  if (!file) {
    if (only)
      throw new ConfigError(
        'Invalid configuration:\n' +
          '  TRUSTED_DOCUMENTS_ONLY: needs TRUSTED_DOCUMENTS, the manifest of the operations to accept',
      );
    return undefined;
  }
  try {
    return loadTrustedDocuments(path.resolve(file), only);
  } catch (error) {
    throw new ConfigError(`Invalid configuration:\n  ${error instanceof Error ? error.message : String(error)}`);
  }
}
