import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { type GraphQLInputType, getNamedType, isEnumType, isInputObjectType, isInterfaceType, isListType, isNonNullType } from 'graphql';
import { FormData, request } from 'undici';
import { openDatabase } from '../src/db/client.ts';
import { schema } from '../src/graphql/schema.ts';
import { newPublicId } from '../src/ids.ts';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS, runCli } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { storedPhoto } from './helpers/photos.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

function isFileArgument(type: GraphQLInputType): boolean {
  const named = getNamedType(type);
  return named.name === 'File';
}

type Argument = { type: GraphQLInputType; name: string; extensions: { relayGlobalIDFor?: readonly { typename: string }[] | null } };

/** A well-typed value for an argument: global ids of the node type it is for (that exist nowhere), short strings, zeros. */
function sampleValue(argument: Argument, type: GraphQLInputType = argument.type): unknown {
  if (isNonNullType(type)) return sampleValue(argument, type.ofType);
  if (isListType(type)) return [sampleValue(argument, type.ofType)];
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter((field) => isNonNullType(field.type));
    return Object.fromEntries(fields.map((field) => [field.name, sampleValue(field as Argument)]));
  }
  if (isEnumType(type)) return type.getValues()[0]?.name;
  const name = argument.name;
  switch (type.name) {
    case 'ID': {
      const typename = argument.extensions.relayGlobalIDFor?.[0]?.typename;
      if (typename === undefined) throw new Error(`argument ${name} is an ID for no node type`);
      return encodeGlobalID(typename, newPublicId());
    }
    case 'String':
      return name === 'url' ? 'http://example.invalid/photo.jpg' : 'Nope';
    case 'Int':
      return 0;
    case 'Boolean':
      return false;
    case 'DateTime':
      return new Date(Date.now() + 86_400_000).toISOString();
    default:
      throw new Error(`no sample value for ${type.name} (argument ${name}): teach sampleValue about it`);
  }
}

// Registered for codegen: the operations below spread it.
graphql(`
  fragment AlbumFields on Album {
    id
    title
    description
    visibility
    photoCount
    cover {
      id
      title
    }
    photos(first: 100) {
      totalCount
      nodes {
        id
        title
      }
    }
  }
`);

const CreateAlbum = graphql(`
  mutation CreateAlbum($input: CreateAlbumInput!) {
    createAlbum(input: $input) {
      __typename
      ... on AlbumPayload {
        album {
          ...AlbumFields
        }
      }
      ... on UserError {
        message
        code
      }
      ... on ValidationError {
        field
      }
    }
  }
`);

const UpdateAlbum = graphql(`
  mutation UpdateAlbum($input: UpdateAlbumInput!) {
    updateAlbum(input: $input) {
      __typename
      ... on AlbumPayload {
        album {
          ...AlbumFields
        }
      }
      ... on UserError {
        message
        code
      }
      ... on NotFoundError {
        missingId
      }
    }
  }
`);

const AddPhotos = graphql(`
  mutation AddPhotos($albumId: ID!, $photoIds: [ID!]!, $position: Int) {
    addPhotosToAlbum(albumId: $albumId, photoIds: $photoIds, position: $position) {
      __typename
      ... on AlbumPayload {
        album {
          ...AlbumFields
        }
      }
      ... on UserError {
        message
        code
      }
    }
  }
`);

const RemovePhotos = graphql(`
  mutation RemovePhotos($albumId: ID!, $photoIds: [ID!]!) {
    removePhotosFromAlbum(albumId: $albumId, photoIds: $photoIds) {
      __typename
      ... on AlbumPayload {
        album {
          ...AlbumFields
        }
      }
    }
  }
`);

const MovePhoto = graphql(`
  mutation MovePhoto($albumId: ID!, $photoId: ID!, $position: Int!) {
    movePhotoInAlbum(albumId: $albumId, photoId: $photoId, position: $position) {
      __typename
      ... on AlbumPayload {
        album {
          ...AlbumFields
        }
      }
      ... on UserError {
        message
        code
      }
    }
  }
`);

const SetOrder = graphql(`
  mutation SetOrder($albumId: ID!, $photoIds: [ID!]!) {
    setAlbumPhotoOrder(albumId: $albumId, photoIds: $photoIds) {
      __typename
      ... on AlbumPayload {
        album {
          ...AlbumFields
        }
      }
      ... on ValidationError {
        message
        field
      }
    }
  }
`);

const SetCover = graphql(`
  mutation SetCover($albumId: ID!, $photoId: ID) {
    setAlbumCover(albumId: $albumId, photoId: $photoId) {
      __typename
      ... on AlbumPayload {
        album {
          ...AlbumFields
        }
      }
      ... on UserError {
        message
        code
      }
    }
  }
`);

const DeleteAlbum = graphql(`
  mutation DeleteAlbum($id: ID!) {
    deleteAlbum(id: $id) {
      __typename
      ... on DeletedPayload {
        deletedId
      }
      ... on UserError {
        code
      }
    }
  }
`);

const UpdatePhoto = graphql(`
  mutation UpdatePhoto($input: UpdatePhotoInput!) {
    updatePhoto(input: $input) {
      __typename
      ... on PhotoPayload {
        photo {
          id
          title
          description
        }
      }
      ... on UserError {
        message
        code
      }
    }
  }
`);

const ReprocessPhoto = graphql(`
  mutation ReprocessPhoto($id: ID!) {
    reprocessPhoto(id: $id) {
      __typename
      ... on PhotoPayload {
        photo {
          id
          version
          image(variant: THUMB) {
            url
          }
        }
      }
    }
  }
`);

const DeletePhoto = graphql(`
  mutation DeletePhoto($id: ID!) {
    deletePhoto(id: $id) {
      __typename
      ... on DeletedPayload {
        deletedId
      }
      ... on UserError {
        code
      }
    }
  }
`);

const PhotoIds = graphql(`
  query PhotoIds {
    photos(first: 100, orderBy: TITLE_ASC) {
      nodes {
        id
        title
      }
    }
  }
`);

const AlbumById = graphql(`
  query AlbumById($id: ID!) {
    album(id: $id) {
      ...AlbumFields
    }
  }
`);

describe('mutations', () => {
  let server: TestServer;
  let ids: Map<string, string>;

  before(async () => {
    server = await startTestServer();
    const result = await runCli(['import', path.join(FIXTURE_PHOTOS, 'cameras')], { LIGHTBOX_DATA_DIR: server.dataDir });
    assert.equal(result.code, 0);
    const photos = dataOf(await postGraphQL(server.url, PhotoIds, {}, server.admin)).photos.nodes;
    ids = new Map(photos.map((photo) => [photo.title, photo.id]));
  });

  after(() => server.close());

  const id = (title: string) => {
    const found = ids.get(title);
    if (found === undefined) throw new Error(`no photo titled ${title}`);
    return found;
  };

  /** Everything a mutation could change, from the database itself. */
  async function libraryState() {
    const handle = openDatabase(path.join(server.dataDir, 'lightbox.db'), { readonly: true });
    try {
      const all = (table: string) => handle.sqlite.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all();
      return { albums: all('albums'), photos: all('photos'), members: all('album_photos'), jobs: all('jobs') };
    } finally {
      handle.close();
    }
  }

  async function newAlbum(title: string, photoOrder?: 'MANUAL' | 'TAKEN_AT') {
    const result = dataOf(await postGraphQL(server.url, CreateAlbum, { input: { title, photoOrder } }, server.admin)).createAlbum;
    assert.equal(result.__typename, 'AlbumPayload');
    return result.__typename === 'AlbumPayload' ? result.album : assert.fail();
  }

  it('no error type has a field named id (Relay would normalise the missing node into the error)', () => {
    const userError = schema.getType('UserError');
    assert.ok(userError && isInterfaceType(userError));
    const errorTypes = schema.getPossibleTypes(userError);
    assert.ok(errorTypes.length >= 4);
    for (const type of errorTypes) assert.equal(type.getFields().id, undefined, type.name);
  });

  it('refuses every mutation without the admin token, with a typed error, and changes nothing', async () => {
    const mutations = Object.values(schema.getMutationType()?.getFields() ?? {});
    assert.ok(mutations.length >= 13, `found ${mutations.length} mutations`);
    const before = await libraryState();
    for (const field of mutations) {
      // The one mutation for anyone: a share link's holder unlocks it (tested in share-links.test.ts).
      if (field.name === 'unlockShareLink') continue;
      if (field.args.some((arg) => isFileArgument(arg.type))) {
        // Files only arrive as multipart requests, which the upload route refuses before reading a byte.
        const form = new FormData();
        form.set('operations', JSON.stringify({ query: `mutation { ${field.name}(files: [null]) { __typename } }` }));
        form.set('map', JSON.stringify({ 0: ['variables.files.0'] }));
        form.set('0', new Blob(['x']), 'x.jpg');
        const response = await request(`${server.url}/graphql`, { method: 'POST', body: form, headers: { 'graphql-preflight': '1' } });
        const body = (await response.body.json()) as { errors?: { extensions?: { code?: string } }[] };
        assert.equal(response.statusCode, 403, field.name);
        assert.equal(body.errors?.[0]?.extensions?.code, 'FORBIDDEN', field.name);
        continue;
      }
      const variables = Object.fromEntries(field.args.map((arg) => [arg.name, sampleValue(arg as Argument)]));
      const declarations = field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
      const passes = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
      const query = `mutation Anonymous${declarations ? `(${declarations})` : ''} { result: ${field.name}${passes ? `(${passes})` : ''} { __typename ... on UserError { code } } }`;
      const response = await request(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.body.json()) as { data?: { result: { __typename: string; code?: string } }; errors?: unknown };
      assert.equal(body.errors, undefined, `${field.name}: ${JSON.stringify(body.errors)}`);
      assert.deepEqual(body.data?.result, { __typename: 'ForbiddenError', code: 'FORBIDDEN' }, field.name);
    }
    assert.deepEqual(await libraryState(), before, 'no mutation changed anything');
  });

  it('creates, updates and validates albums', async () => {
    const album = await newAlbum('  Holiday  ');
    assert.equal(album.title, 'Holiday');
    assert.equal(album.visibility, 'PRIVATE');
    assert.equal(album.cover, null);

    const updated = dataOf(
      await postGraphQL(
        server.url,
        UpdateAlbum,
        { input: { id: album.id, description: 'Sea and sun', visibility: 'PUBLIC' } },
        server.admin,
      ),
    ).updateAlbum;
    assert.equal(updated.__typename === 'AlbumPayload' && updated.album.visibility, 'PUBLIC');
    assert.equal(updated.__typename === 'AlbumPayload' && updated.album.title, 'Holiday');

    for (const title of ['', '   ', 'x'.repeat(201)]) {
      const invalid = dataOf(await postGraphQL(server.url, CreateAlbum, { input: { title } }, server.admin)).createAlbum;
      assert.equal(invalid.__typename, 'ValidationError', JSON.stringify(title));
      assert.equal(invalid.__typename === 'ValidationError' && invalid.field, 'title');
    }
    const missingId = Buffer.from('Album:AAAAAAAAAAAAAAAAAAAAAA').toString('base64');
    const missing = dataOf(await postGraphQL(server.url, UpdateAlbum, { input: { id: missingId, title: 'x' } }, server.admin)).updateAlbum;
    assert.equal(missing.__typename, 'NotFoundError');
    assert.equal(missing.__typename === 'NotFoundError' && missing.missingId, missingId);
  });

  it('adds photos at a position, moves one, sets the whole order, removes some', async () => {
    const album = await newAlbum('Cameras ordered', 'MANUAL');
    const add = async (titles: string[], position?: number) => {
      const result = dataOf(
        await postGraphQL(server.url, AddPhotos, { albumId: album.id, photoIds: titles.map(id), position }, server.admin),
      ).addPhotosToAlbum;
      return result.__typename === 'AlbumPayload'
        ? result.album.photos.nodes.map((photo) => photo.title)
        : assert.fail(JSON.stringify(result));
    };
    assert.deepEqual(await add(['canon-ixus', 'kodak-dc240']), ['canon-ixus', 'kodak-dc240']);
    assert.deepEqual(await add(['sony-d700'], 0), ['sony-d700', 'canon-ixus', 'kodak-dc240']);
    assert.deepEqual(await add(['nikon-e950'], 2), ['sony-d700', 'canon-ixus', 'nikon-e950', 'kodak-dc240']);
    assert.deepEqual(await add(['sony-d700']), ['canon-ixus', 'nikon-e950', 'kodak-dc240', 'sony-d700'], 'adding a member moves it');

    const moved = dataOf(
      await postGraphQL(server.url, MovePhoto, { albumId: album.id, photoId: id('kodak-dc240'), position: 0 }, server.admin),
    ).movePhotoInAlbum;
    assert.deepEqual(moved.__typename === 'AlbumPayload' && moved.album.photos.nodes.map((photo) => photo.title), [
      'kodak-dc240',
      'canon-ixus',
      'nikon-e950',
      'sony-d700',
    ]);

    const order = ['nikon-e950', 'sony-d700', 'canon-ixus', 'kodak-dc240'];
    const set = dataOf(
      await postGraphQL(server.url, SetOrder, { albumId: album.id, photoIds: order.map(id) }, server.admin),
    ).setAlbumPhotoOrder;
    assert.deepEqual(set.__typename === 'AlbumPayload' && set.album.photos.nodes.map((photo) => photo.title), order);

    const removed = dataOf(
      await postGraphQL(server.url, RemovePhotos, { albumId: album.id, photoIds: [id('sony-d700')] }, server.admin),
    ).removePhotosFromAlbum;
    assert.equal(removed.__typename === 'AlbumPayload' && removed.album.photoCount, 3);
    assert.equal(removed.__typename === 'AlbumPayload' && removed.album.photos.totalCount, 3);
  });

  it('rejects reorder lists with missing, extra or duplicate photos', async () => {
    const album = await newAlbum('Strict order');
    await postGraphQL(server.url, AddPhotos, { albumId: album.id, photoIds: [id('canon-ixus'), id('sony-d700')] }, server.admin);
    for (const titles of [['canon-ixus'], ['canon-ixus', 'sony-d700', 'kodak-dc240'], ['canon-ixus', 'canon-ixus']]) {
      const result = dataOf(
        await postGraphQL(server.url, SetOrder, { albumId: album.id, photoIds: titles.map(id) }, server.admin),
      ).setAlbumPhotoOrder;
      assert.equal(result.__typename, 'ValidationError', titles.join());
    }
    const notMember = dataOf(
      await postGraphQL(server.url, MovePhoto, { albumId: album.id, photoId: id('kodak-dc240'), position: 0 }, server.admin),
    ).movePhotoInAlbum;
    assert.equal(notMember.__typename, 'ValidationError');
    const foreignId = await postGraphQL(server.url, AddPhotos, { albumId: album.id, photoIds: [album.id] }, server.admin);
    assert.ok(foreignId.body.errors?.length, 'an album id passed as a photo id is a GraphQL error');
    assert.doesNotMatch(JSON.stringify(foreignId.body), /\.ts:\d+|SELECT/);
  });

  it('the cover is the chosen photo, else the first one; removing the chosen one falls back', async () => {
    const album = await newAlbum('Covered');
    await postGraphQL(server.url, AddPhotos, { albumId: album.id, photoIds: [id('olympus-c960'), id('fujifilm-dx10')] }, server.admin);
    const first = dataOf(await postGraphQL(server.url, AlbumById, { id: album.id }, server.admin)).album;
    assert.equal(first?.cover?.title, 'olympus-c960');
    const chosen = dataOf(
      await postGraphQL(server.url, SetCover, { albumId: album.id, photoId: id('fujifilm-dx10') }, server.admin),
    ).setAlbumCover;
    assert.equal(chosen.__typename === 'AlbumPayload' && chosen.album.cover?.title, 'fujifilm-dx10');
    const outsider = dataOf(
      await postGraphQL(server.url, SetCover, { albumId: album.id, photoId: id('canon-ixus') }, server.admin),
    ).setAlbumCover;
    assert.equal(outsider.__typename, 'ValidationError');
    await postGraphQL(server.url, RemovePhotos, { albumId: album.id, photoIds: [id('fujifilm-dx10')] }, server.admin);
    const after = dataOf(await postGraphQL(server.url, AlbumById, { id: album.id }, server.admin)).album;
    assert.equal(after?.cover?.title, 'olympus-c960');
  });

  it('deleting an album keeps its photos', async () => {
    const album = await newAlbum('Short-lived');
    await postGraphQL(server.url, AddPhotos, { albumId: album.id, photoIds: [id('canon-ixus')] }, server.admin);
    const deleted = dataOf(await postGraphQL(server.url, DeleteAlbum, { id: album.id }, server.admin)).deleteAlbum;
    assert.equal(deleted.__typename === 'DeletedPayload' && deleted.deletedId, album.id);
    assert.equal(dataOf(await postGraphQL(server.url, AlbumById, { id: album.id }, server.admin)).album, null);
    const photos = dataOf(await postGraphQL(server.url, PhotoIds, {}, server.admin)).photos.nodes;
    assert.ok(photos.some((photo) => photo.title === 'canon-ixus'));
    const again = dataOf(await postGraphQL(server.url, DeleteAlbum, { id: album.id }, server.admin)).deleteAlbum;
    assert.equal(again.__typename, 'NotFoundError');
  });

  it('updates a photo and validates it', async () => {
    const updated = dataOf(
      await postGraphQL(
        server.url,
        UpdatePhoto,
        { input: { id: id('nikon-e950'), title: 'Nikon', description: 'A 1999 camera' } },
        server.admin,
      ),
    ).updatePhoto;
    assert.equal(updated.__typename === 'PhotoPayload' && updated.photo.title, 'Nikon');
    ids.set('Nikon', id('nikon-e950'));
    const invalid = dataOf(
      await postGraphQL(server.url, UpdatePhoto, { input: { id: id('Nikon'), description: 'x'.repeat(5001) } }, server.admin),
    ).updatePhoto;
    assert.equal(invalid.__typename, 'ValidationError');
  });

  it('reprocessing bumps the version and so the image URLs', async () => {
    const result = dataOf(await postGraphQL(server.url, ReprocessPhoto, { id: id('kodak-dc240') }, server.admin)).reprocessPhoto;
    assert.equal(result.__typename === 'PhotoPayload' && result.photo.version, 2);
    assert.match(result.__typename === 'PhotoPayload' ? result.photo.image.url : '', /thumb\.webp\?v=2\.[0-9a-f]{12}&/);
  });

  it('deleting a photo removes its rows, memberships and files', async () => {
    const album = await newAlbum('Holds a doomed photo');
    await postGraphQL(server.url, AddPhotos, { albumId: album.id, photoIds: [id('sony-d700'), id('canon-ixus')] }, server.admin);
    const stored = storedPhoto(server.dataDir, 'sony-d700.jpg');
    const thumb = await request(`${server.url}/images/${stored.publicId}/thumb.jpg`);
    await thumb.body.dump();
    assert.ok(existsSync(stored.file));

    const deleted = dataOf(await postGraphQL(server.url, DeletePhoto, { id: id('sony-d700') }, server.admin)).deletePhoto;
    assert.equal(deleted.__typename, 'DeletedPayload');
    assert.equal(existsSync(stored.file), false, 'the original is gone');
    const derived = await readdir(path.join(server.dataDir, 'derived'), { recursive: true });
    assert.ok(!derived.some((name) => name.includes(stored.publicId)), 'its renditions are gone');
    const albumAfter = dataOf(await postGraphQL(server.url, AlbumById, { id: album.id }, server.admin)).album;
    assert.deepEqual(
      albumAfter?.photos.nodes.map((photo) => photo.title),
      ['canon-ixus'],
    );
    const image = await request(`${server.url}/images/${stored.publicId}/original.jpg`);
    await image.body.dump();
    assert.equal(image.statusCode, 404);
    const again = dataOf(await postGraphQL(server.url, DeletePhoto, { id: id('sony-d700') }, server.admin)).deletePhoto;
    assert.equal(again.__typename, 'NotFoundError');
  });
});
