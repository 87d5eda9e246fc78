import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import sharp from 'sharp';
import { FormData, request } from 'undici';
import { graphql } from './generated/index.ts';
import { FIXTURE_PHOTOS } from './helpers/cli.ts';
import { dataOf, postGraphQL } from './helpers/graphql.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const UploadPhotos = graphql(`
  mutation UploadPhotos($files: [File!]!, $albumId: ID) {
    uploadPhotos(files: $files, albumId: $albumId) {
      __typename
      ... on UploadPhotosPayload {
        results {
          __typename
          ... on UploadedPhoto {
            filename
            duplicate
            photo {
              id
              title
              width
              height
              status
              albums {
                title
              }
            }
          }
          ... on RejectedUpload {
            filename
            code
            message
          }
        }
      }
      ... on UserError {
        code
        message
      }
    }
  }
`);

const NewAlbum = graphql(`
  mutation NewUploadAlbum($input: CreateAlbumInput!) {
    createAlbum(input: $input) {
      ... on AlbumPayload {
        album {
          id
        }
      }
    }
  }
`);

interface Part {
  name: string;
  bytes: Buffer;
}

function multipart(variables: Record<string, unknown>, parts: Part[], fileVariable = 'files'): FormData {
  const form = new FormData();
  form.set(
    'operations',
    JSON.stringify({ query: print(UploadPhotos), variables: { ...variables, [fileVariable]: parts.map(() => null) } }),
  );
  form.set('map', JSON.stringify(Object.fromEntries(parts.map((_, index) => [String(index), [`variables.${fileVariable}.${index}`]]))));
  for (const [index, part] of parts.entries()) form.set(String(index), new Blob([new Uint8Array(part.bytes)]), part.name);
  return form;
}

describe('uploadPhotos: GraphQL multipart uploads', () => {
  let server: TestServer;
  let jpeg: Buffer;

  before(async () => {
    server = await startTestServer({ LIGHTBOX_UPLOAD_MAX_MB: '1', LOG_LEVEL: 'info' });
    jpeg = await readFile(path.join(FIXTURE_PHOTOS, 'gps', 'DSCN0010.jpg'));
  });

  after(() => server.close());

  async function upload(form: FormData, headers: Record<string, string> = { ...server.admin, 'graphql-preflight': '1' }) {
    const response = await request(`${server.url}/graphql`, { method: 'POST', body: form, headers });
    return {
      status: response.statusCode,
      body: (await response.body.json()) as {
        data?: { uploadPhotos: Record<string, unknown> };
        errors?: { extensions?: { code?: string } }[];
      },
    };
  }

  it('stores each file, flags duplicates, rejects what is not an image or too large, one result per file', async () => {
    const albumId = dataOf(await postGraphQL(server.url, NewAlbum, { input: { title: 'Uploads' } }, server.admin)).createAlbum;
    assert.ok('album' in albumId);
    const big = await sharp({
      create: { width: 800, height: 800, channels: 3, background: '#123456', noise: { type: 'gaussian', mean: 100, sigma: 50 } },
    })
      .png({ compressionLevel: 0 })
      .toBuffer();
    const { status, body } = await upload(
      multipart({ albumId: albumId.album.id }, [
        { name: 'DSCN0010.jpg', bytes: jpeg },
        { name: 'notes.jpg', bytes: Buffer.from('not a photo') },
        { name: 'again.jpg', bytes: jpeg },
        { name: 'big.png', bytes: big },
      ]),
    );
    assert.equal(status, 200, JSON.stringify(body));
    interface Result {
      __typename: string;
      duplicate?: boolean;
      code?: string;
      photo?: { id: string; width: number; status: string; albums: { title: string }[] };
    }
    const payload = body.data?.uploadPhotos as { __typename: string; results: Result[] };
    assert.equal(payload.__typename, 'UploadPhotosPayload');
    const [first, text, again, tooBig] = payload.results as [Result, Result, Result, Result];
    assert.equal(first.__typename, 'UploadedPhoto');
    assert.equal(first.duplicate, false);
    assert.deepEqual(first.photo?.albums, [{ title: 'Uploads' }]);
    assert.equal(first.photo?.width, 640);
    assert.equal(first.photo?.status, 'PENDING');
    assert.deepEqual([text.__typename, text.code], ['RejectedUpload', 'UNSUPPORTED_MEDIA']);
    assert.equal(again.__typename, 'UploadedPhoto');
    assert.equal(again.duplicate, true);
    assert.equal(again.photo?.id, first.photo?.id);
    assert.deepEqual([tooBig.__typename, tooBig.code], ['RejectedUpload', 'TOO_LARGE']);
    assert.deepEqual(await readdir(path.join(server.dataDir, 'tmp')), [], 'no temp file is left behind');
  });

  it('an upload aborted mid-file leaves no temp file and no open descriptor behind', async () => {
    const tempDir = path.join(server.dataDir, 'tmp');
    const state = async () => ({ temps: (await readdir(tempDir)).length, fds: (await readdir('/proc/self/fd')).length });
    // The start-up sweep opens the database on a worker thread: counted before it is done, its descriptors would read as a leak.
    await server.app.maintenance;
    const before = await state();
    const boundary = 'lightbox-abort-test';
    const operations = JSON.stringify({ query: print(UploadPhotos), variables: { files: [null] } });
    const head = [
      `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.files.0"]}\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
    ].join('');
    const { port } = new URL(server.url);
    const refusedBefore = server.logs.filter((line) => line.msg === 'multipart upload refused').length;
    for (let attempt = 0; attempt < 3; attempt++) {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(
            `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${server.admin.authorization}\r\ngraphql-preflight: 1\r\n` +
              `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 900000\r\n\r\n${head}`,
          );
          // Half a file, then the client is gone.
          socket.write(jpeg.subarray(0, Math.min(jpeg.length, 200_000)), () => setImmediate(() => socket.destroy()));
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
    }
    // The server says so once each refused upload's files are gone.
    await server.logged('multipart upload refused', refusedBefore + 3);
    assert.deepEqual(await state(), before, 'temp files and descriptors are back to where they started');
  });

  it('refuses uploads without a preflight header or without the admin token, before reading them', async () => {
    const form = () => multipart({}, [{ name: 'a.jpg', bytes: jpeg }]);
    const noPreflight = await upload(form(), server.admin);
    assert.equal(noPreflight.status, 403);
    assert.equal(noPreflight.body.errors?.[0]?.extensions?.code, 'CSRF_PREVENTED');
    const anonymous = await upload(form(), { 'graphql-preflight': '1' });
    assert.equal(anonymous.status, 403);
    assert.equal(anonymous.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.deepEqual(await readdir(path.join(server.dataDir, 'tmp')), []);
  });

  it('answers malformed multipart requests with 400 and a reason', async () => {
    const form = new FormData();
    form.set('0', new Blob([new Uint8Array(jpeg)]), 'a.jpg');
    const { status, body } = await upload(form);
    assert.equal(status, 400);
    assert.equal(body.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
    assert.deepEqual(await readdir(path.join(server.dataDir, 'tmp')), []);
  });

  it('a JSON request cannot name a file it did not send', async () => {
    const response = await postGraphQL(server.url, UploadPhotos, { files: ['upload:forged:0'] }, server.admin);
    const result = response.body.data?.uploadPhotos;
    assert.equal(result?.__typename, 'ValidationError');
  });
});
