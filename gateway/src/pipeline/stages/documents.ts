import { optionalFlag } from '@car-check/service-kit';
import { QUERY_LIMITS_ENV, queryLimitsOf } from '../../limits/checkLimits';
import { Documents } from '../documentStore';
import { Refusal } from '../refusal';
import { defineStage, need } from '../stage';

// Operation text kept parsed; the syntax trees take some 20-50 times more memory.
const DOCUMENT_CACHE_BYTES = 4 * 1024 * 1024;

/**
 * Parse → select → measure → validate, once per document and schema (see
 * documentStore.ts). Apollo Server then executes the very document admitted here:
 * this stage is also its document store, so Apollo parses and validates nothing.
 */
export const documents = defineStage({
  name: 'documents',
  env: { ...QUERY_LIMITS_ENV, INTROSPECTION: optionalFlag() },
  configure: (env, { production }) => ({
    queryLimits: queryLimitsOf(env),
    // Off in production unless explicitly enabled.
    introspection: env.INTROSPECTION ?? !production,
  }),
  create: (config, { served, onSchemaChange }) => {
    const store = new Documents({
      limits: config.queryLimits,
      introspection: config.introspection,
      cacheBytes: DOCUMENT_CACHE_BYTES,
    });
    onSchemaChange(() => store.schemaChanged());
    return {
      apollo: { documentStore: store },
      handle: async (request, next) => {
        const params = need(request.params, 'GraphQL request');
        const text = need(request.text, 'operation text');
        const schema = served();
        if (!schema) {
          throw new Refusal(
            503,
            'UNAVAILABLE',
            'The gateway has not loaded its supergraph yet; retry shortly.',
            {},
            { headers: { 'retry-after': '1' } },
          );
        }
        request.operation = store.admit(
          text,
          params.operationName,
          params.method,
          params.variables,
          schema,
          request.streaming !== undefined,
        );
        request.document = store.documentOf(text);
        request.onAdmitted?.();
        return next();
      },
    };
  },
});
