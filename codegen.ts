import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the tests: `graphql(...)` calls in test/ become TypedDocumentNodes.
const config: CodegenConfig = {
  schema: './schema.graphql',
  documents: ['test/**/*.ts', '!test/generated/**'],
  ignoreNoDocuments: false,
  // NodeNext needs extensions on relative imports; tsx and tsc both resolve `.ts`.
  importExtension: '.ts',
  generates: {
    './test/generated/': {
      preset: 'client',
      // persisted-documents.json: the documents by SHA-256, as LIGHTBOX_TRUSTED_DOCUMENTS_FILE reads them.
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: 'sha256' } },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string' },
      },
    },
  },
};

export default config;
