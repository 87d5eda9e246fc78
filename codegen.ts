import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the tests: `graphql(...)` calls in test/ become TypedDocumentNodes.
const config: CodegenConfig = {
  schema: './schema.graphql',
  // Relay's documents (test/relay) are relay-compiler's: they carry Relay's own directives.
  documents: ['test/**/*.ts', '!test/generated/**', '!test/relay/**'],
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
    // Apollo Client's InMemoryCache needs every interface's and union's members to read fragments on them.
    './test/generated/possible-types.ts': {
      plugins: ['fragment-matcher'],
      config: { apolloClientVersion: 3, useExplicitTyping: true },
    },
  },
};

export default config;
