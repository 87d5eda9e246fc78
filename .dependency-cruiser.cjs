// The layering of src/, checked by `npm run lint` (dependency-cruiser). Each folder may import only
// its own files and the folders below it: processes → http → graphql → images → processing → catalog →
// places → auth, media, storage → db → the root modules (errors, log, ids, config, clock, sql-meter, …).
// The command line (cli/, main.ts, app.ts) sits above them all. docs/architecture.md explains it.
const above = {
  root: 'db|storage|auth|media|places|catalog|processing|images|graphql|http|processes|cli',
  db: 'storage|auth|media|places|catalog|processing|images|graphql|http|processes|cli',
  storage: 'places|catalog|processing|images|graphql|http|processes|cli',
  auth: 'places|catalog|processing|images|graphql|http|processes|cli',
  media: 'auth|places|catalog|processing|images|graphql|http|processes|cli',
  places: 'catalog|processing|images|graphql|http|processes|cli',
  catalog: 'processing|images|graphql|http|processes|cli',
  processing: 'images|graphql|http|processes|cli',
  images: 'processing|graphql|http|processes|cli',
  graphql: 'http|processes|cli',
  http: 'processes|cli',
  processes: 'cli',
};

const upward = Object.entries(above).map(([layer, higher]) => ({
  name: `${layer}-imports-upward`,
  comment: `${layer} may not import a layer above it (${higher.split('|').join(', ')})`,
  severity: 'error',
  from: { path: layer === 'root' ? '^src/(?!main\\.ts|app\\.ts)[^/]+\\.ts$' : `^src/${layer}/` },
  to: { path: `^src/((${higher})/|main\\.ts$|app\\.ts$)` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No module may import itself through others: cycles make the layering a knot',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...upward,
    {
      name: 'graphql-calls-db',
      comment: 'GraphQL reads and writes through catalog/, never the database itself (a type naming its handle is fine)',
      severity: 'error',
      from: { path: '^src/graphql/' },
      to: { path: '^src/db/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|test|bench|scripts)/' },
  },
};
