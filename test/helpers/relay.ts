import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ConcreteRequest,
  ConnectionHandler,
  commitLocalUpdate,
  Environment,
  fetchQuery,
  Network,
  RecordSource,
  Store,
  type Variables,
} from 'relay-runtime';

/** relay-compiler reads relay.config.json from the directory it runs in. */
const RELAY_DIR = fileURLToPath(new URL('../relay/', import.meta.url));

/** Runs relay-compiler over test/relay against schema.graphql, so the artifacts are never stale; fails with its output. */
export async function compileRelayDocuments(): Promise<{ RelayAlbumsQuery: ConcreteRequest }> {
  const compiler = createRequire(import.meta.url)
    .resolve('relay-compiler/package.json')
    .replace(/package\.json$/, 'cli.js');
  await mkdir(path.join(RELAY_DIR, '__generated__'), { recursive: true });
  const run = spawnSync(process.execPath, [compiler], { cwd: RELAY_DIR, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`relay-compiler failed:\n${run.stdout}\n${run.stderr}`);
  // Written just now, so imported by path: it does not exist before the compiler runs.
  const artifact = (await import(new URL('../relay/__generated__/albumsRelayQuery.graphql.ts', import.meta.url).href)) as {
    default: unknown;
  };
  return { RelayAlbumsQuery: artifact.default as ConcreteRequest };
}

/** A relay-runtime environment over fetch; `fetch` runs a query and reads the connection the store merged. */
export function relayEnvironment(endpoint: string) {
  const environment = new Environment({
    network: Network.create(async (operation, variables) => {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query: operation.text, variables }),
      });
      return response.json();
    }),
    store: new Store(new RecordSource()),
  });
  return {
    async fetch(query: ConcreteRequest, variables: Variables): Promise<{ titles: string[]; endCursor: string | null }> {
      await fetchQuery(environment, query, variables).toPromise();
      let titles: string[] = [];
      let endCursor: string | null = null;
      commitLocalUpdate(environment, (store) => {
        const connection = ConnectionHandler.getConnection(store.getRoot(), 'RelayAlbums_albums', { orderBy: 'TITLE_ASC' });
        titles = (connection?.getLinkedRecords('edges') ?? []).map((edge) => String(edge?.getLinkedRecord('node')?.getValue('title')));
        endCursor = (connection?.getLinkedRecord('pageInfo')?.getValue('endCursor') as string | null | undefined) ?? null;
      });
      return { titles, endCursor };
    },
  };
}
