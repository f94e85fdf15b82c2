import { createHash } from 'node:crypto';
import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

/**
 * Typed documents for the app's operations (src/**\/*.graphql), checked against the
 * API schema that scripts/api-schema.ts derives from ../supergraph.graphql.
 *
 * Persisted documents: every operation gets an id, the lower-case hex sha256 of
 * the exact document text the preset prints (without a `sha256:` prefix, so the
 * same id is a valid Apollo `persistedQuery.sha256Hash`). The preset writes
 * hash -> text to src/__generated__/persisted-documents.json; scripts/manifest.ts
 * turns it into web/persisted-documents.json and the operation-name -> id table
 * the app sends in persisted-only mode.
 *
 * `__typename` is added to every selection set before hashing, so the text the
 * server runs for an id returns what Apollo Client's cache expects.
 */
const config: CodegenConfig = {
  overwrite: true,
  schema: 'src/__generated__/api-schema.graphql',
  documents: ['src/**/*.graphql', '!src/__generated__/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/__generated__/': {
      preset: 'client',
      documentTransforms: [addTypenameSelectionDocumentTransform],
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: {
          hashAlgorithm: (text: string) => createHash('sha256').update(text, 'utf8').digest('hex'),
        },
      },
      config: {
        scalars: { DateTime: 'string' },
        strictScalars: true,
        enumsAsTypes: true,
        useTypeImports: true,
        nonOptionalTypename: true,
        skipTypeNameForRoot: true,
      },
    },
  },
};

export default config;
