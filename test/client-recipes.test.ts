// The client recipes of docs/graphql-api.md, each run against a real server: plain fetch, Apollo Client (with
// codegen's possibleTypes, relayStylePagination, automatic persisted queries over GET, and the
// upload link with its preflight header), urql (graphcache's relayPagination) and Relay
// (relay-compiler over schema.graphql, then relay-runtime).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ApolloClient,
  ApolloLink,
  type FieldMergeFunction,
  type FieldPolicy,
  type FieldReadFunction,
  HttpLink,
  InMemoryCache,
} from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { relayStylePagination } from '@apollo/client/utilities';
import { Client, fetchExchange } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';
import UploadHttpLink from 'apollo-upload-client/UploadHttpLink.mjs';
import { graphql } from './generated/index.ts';
import fragmentMatcher from './generated/possible-types.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { buildLibrary } from './helpers/library.ts';
import { compileRelayDocuments, relayEnvironment } from './helpers/relay.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const RecipeAlbums = graphql(`
  query RecipeAlbums($first: Int!, $after: String) {
    albums(first: $first, after: $after, orderBy: TITLE_ASC) {
      totalCount
      edges { cursor node { id title photoCount cover { id } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const RecipePhotoNodes = graphql(`
  query RecipePhotoNodes($first: Int!, $after: String) {
    photos(first: $first, after: $after, orderBy: TITLE_ASC) {
      nodes { id title thumb: image(variant: THUMB) { url width height } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const RecipeNode = graphql(`
  query RecipeNode($id: ID!) {
    node(id: $id) {
      id
      ... on Album { title }
      ... on Photo { title }
    }
  }
`);

const RecipeUpload = graphql(`
  mutation RecipeUpload($files: [File!]!) {
    uploadPhotos(files: $files) {
      ... on UploadPhotosPayload {
        results {
          ... on UploadedPhoto { filename photo { id width } }
          ... on RejectedUpload { code message }
        }
      }
      ... on UserError { code message }
    }
  }
`);

/**
 * docs/graphql-api.md's Apollo recipe: relayStylePagination merges `edges`; queries that select only
 * `nodes` get theirs merged the same way (appended after `after`, prepended before `before`).
 */
function connectionPagination(keyArgs: string[]): FieldPolicy {
  const edges = relayStylePagination(keyArgs);
  type Page = { nodes?: unknown[] } & Record<string, unknown>;
  return {
    keyArgs,
    read(existing, options) {
      const read = (edges.read as FieldReadFunction<Page>)(existing as Page, options) as Page | undefined;
      return read && (existing as Page | undefined)?.nodes ? { ...read, nodes: (existing as Page).nodes } : read;
    },
    merge(existing, incoming, options) {
      const merged = (edges.merge as FieldMergeFunction<Page>)(existing as Page, incoming as Page, options) as Page;
      const before = (existing as Page | undefined)?.nodes ?? [];
      const page = (incoming as Page).nodes;
      if (page === undefined) return { ...merged, nodes: (existing as Page | undefined)?.nodes };
      const nodes = options.args?.after ? [...before, ...page] : options.args?.before ? [...page, ...before] : page;
      return { ...merged, nodes };
    },
  };
}

const PHOTOS = ['gps/DSCN0010.jpg', 'gps/DSCN0021.jpg', 'gps/DSCN0040.jpg', 'cameras/canon-ixus.jpg', 'cameras/nikon-e950.jpg'];

describe('client recipes against a real server', () => {
  let server: TestServer;
  let endpoint: string;

  before(async () => {
    server = await startTestServer();
    endpoint = `${server.url}/graphql`;
    await buildLibrary(server.dataDir, {
      albums: { Alpha: 'PUBLIC', Beta: 'PUBLIC', Gamma: 'PUBLIC', Hidden: 'PRIVATE' },
      photos: Object.fromEntries(
        PHOTOS.map((file, index) => [
          `p${index}`,
          { file: path.join(FIXTURE_PHOTOS, file), albums: index === 4 ? ['Hidden'] : [['Alpha', 'Beta', 'Gamma'][index % 3] as string] },
        ]),
      ),
    });
  });

  after(() => server.close());

  it('plain fetch: POST JSON, GET with ETag and 304, and paging by endCursor', async () => {
    const query = '{ albums(first: 2, orderBy: TITLE_ASC) { nodes { title } pageInfo { hasNextPage endCursor } } }';
    const posted = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query }),
    });
    assert.equal(posted.headers.get('content-type'), 'application/graphql-response+json; charset=utf-8');
    const first = (await posted.json()) as { data: { albums: { nodes: { title: string }[]; pageInfo: { endCursor: string } } } };
    assert.deepEqual(
      first.data.albums.nodes.map((album) => album.title),
      ['Alpha', 'Beta'],
    );

    const url = `${endpoint}?query=${encodeURIComponent(query)}`;
    const got = await fetch(url, { headers: { accept: 'application/json' } });
    const etag = got.headers.get('etag');
    assert.ok(etag);
    await got.text();
    const revalidated = await fetch(url, { headers: { accept: 'application/json', 'if-none-match': etag } });
    assert.equal(revalidated.status, 304);

    const next = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query:
          'query Next($after: String) { albums(first: 2, after: $after, orderBy: TITLE_ASC) { nodes { title } pageInfo { hasNextPage } } }',
        variables: { after: first.data.albums.pageInfo.endCursor },
      }),
    });
    const second = (await next.json()) as { data: { albums: { nodes: { title: string }[]; pageInfo: { hasNextPage: boolean } } } };
    assert.deepEqual(second.data.albums, { nodes: [{ title: 'Gamma' }], pageInfo: { hasNextPage: false } });
  });

  it('Apollo Client: possibleTypes from codegen, relayStylePagination merging edges and nodes, persisted queries over GET, the server cache', async () => {
    const requests: { method: string; body: string | undefined; sql: string | null }[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      requests.push({ method: init?.method ?? 'GET', body: init?.body as string | undefined, sql: response.headers.get('server-timing') });
      return response;
    };
    const makeClient = () =>
      new ApolloClient({
        link: ApolloLink.from([
          new PersistedQueryLink({
            sha256: (text: string) => createHash('sha256').update(text).digest('hex'),
            useGETForHashedQueries: true,
          }),
          new HttpLink({ uri: endpoint, fetch: recordingFetch }),
        ]),
        cache: new InMemoryCache({
          possibleTypes: fragmentMatcher.possibleTypes,
          typePolicies: {
            Query: { fields: { albums: connectionPagination(['orderBy']), photos: connectionPagination(['orderBy', 'filter']) } },
          },
        }),
      });
    const client = makeClient();

    const page = await client.query({ query: RecipeAlbums, variables: { first: 2 } });
    assert.deepEqual(
      page.data?.albums.edges.map((edge) => edge.node.title),
      ['Alpha', 'Beta'],
    );
    // The hash alone first, over GET (PersistedQueryNotFound), then the document once, which Apollo POSTs.
    assert.deepEqual(
      requests.map((entry) => entry.method),
      ['GET', 'POST'],
    );
    // The next page, from the network: relayStylePagination appends it to the same field.
    await client.query({
      query: RecipeAlbums,
      variables: { first: 2, after: page.data?.albums.pageInfo.endCursor },
      fetchPolicy: 'network-only',
    });
    const merged = client.readQuery({ query: RecipeAlbums, variables: { first: 2 } });
    assert.deepEqual(
      merged?.albums.edges.map((edge) => edge.node.title),
      ['Alpha', 'Beta', 'Gamma'],
      'edges merged',
    );

    const nodesPage = await client.query({ query: RecipePhotoNodes, variables: { first: 2 } });
    await client.query({
      query: RecipePhotoNodes,
      variables: { first: 2, after: nodesPage.data?.photos.pageInfo.endCursor },
      fetchPolicy: 'network-only',
    });
    const mergedNodes = client.readQuery({ query: RecipePhotoNodes, variables: { first: 2 } });
    assert.equal(mergedNodes?.photos.nodes.length, 4, 'nodes merged: the four public photos');
    assert.equal(new Set(mergedNodes?.photos.nodes.map((photo) => photo.id)).size, 4);

    // Interfaces resolve from possibleTypes: the node query reads Album fields through `... on Album`.
    const albumId = page.data?.albums.edges[0]?.node.id as string;
    const node = await client.query({ query: RecipeNode, variables: { id: albumId } });
    assert.equal((node.data?.node as { __typename?: string } | null | undefined)?.__typename, 'Album');
    assert.equal((node.data?.node as { title?: string } | null | undefined)?.title, 'Alpha');

    // A second client (another browser) asks by hash alone, and the server answers from its cache.
    requests.length = 0;
    await makeClient().query({ query: RecipeAlbums, variables: { first: 2 } });
    assert.equal(requests.length, 1, 'the hash alone');
    assert.match(String(requests[0]?.sql), /sql;desc="0"/, 'answered from the response cache');
  });

  it('Apollo Client: the upload link sends files as a multipart request with its preflight header', async () => {
    const client = new ApolloClient({
      link: new UploadHttpLink({ uri: endpoint, headers: { ...server.admin, 'Apollo-Require-Preflight': 'true' } }),
      cache: new InMemoryCache({ possibleTypes: fragmentMatcher.possibleTypes }),
    });
    const bytes = await readFile(path.join(FIXTURE_PHOTOS, 'cameras', 'sony-d700.jpg'));
    const result = await client.mutate({
      mutation: RecipeUpload,
      variables: { files: [new File([bytes], 'from-apollo.jpg', { type: 'image/jpeg' })] },
    });
    const payload = result.data?.uploadPhotos;
    assert.ok(payload && 'results' in payload, JSON.stringify(result));
    const [uploaded] = payload.results;
    assert.ok(uploaded && 'filename' in uploaded, JSON.stringify(payload));
    assert.equal(uploaded.filename, 'from-apollo.jpg');
    assert.ok((uploaded.photo.width ?? 0) > 0);
  });

  it('urql: graphcache relayPagination merges pages whether the query selects nodes or edges', async () => {
    const client = new Client({
      url: endpoint,
      exchanges: [
        // Image, Placeholder, Camera…: values of their photo, with no id of their own.
        cacheExchange({ keys: { Image: () => null }, resolvers: { Query: { albums: relayPagination(), photos: relayPagination() } } }),
        fetchExchange,
      ],
      preferGetMethod: false,
    });
    const first = await client.query(RecipePhotoNodes, { first: 2 }).toPromise();
    assert.equal(first.error, undefined);
    const second = await client.query(RecipePhotoNodes, { first: 2, after: first.data?.photos.pageInfo.endCursor }).toPromise();
    assert.equal(second.data?.photos.nodes.length, 4, 'nodes: both pages');

    const albums = await client.query(RecipeAlbums, { first: 2 }).toPromise();
    const allAlbums = await client.query(RecipeAlbums, { first: 2, after: albums.data?.albums.pageInfo.endCursor }).toPromise();
    assert.deepEqual(
      allAlbums.data?.albums.edges.map((edge) => edge.node.title),
      ['Alpha', 'Beta', 'Gamma'],
      'edges: both pages',
    );
  });

  it('Relay: relay-compiler accepts schema.graphql, and relay-runtime pages a @connection through the store', async () => {
    const artifacts = await compileRelayDocuments();
    const environment = relayEnvironment(endpoint);
    const firstPage = await environment.fetch(artifacts.RelayAlbumsQuery, { first: 2, after: null });
    assert.deepEqual(firstPage.titles, ['Alpha', 'Beta']);
    const both = await environment.fetch(artifacts.RelayAlbumsQuery, { first: 2, after: firstPage.endCursor });
    assert.deepEqual(both.titles, ['Alpha', 'Beta', 'Gamma'], 'the connection handler appended the next page');
  });
});
