import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { it } from 'node:test';
import { request } from 'undici';
import { FIXTURE_PHOTOS, runCli } from './helpers/cli.ts';
import { storedPhoto } from './helpers/photos.ts';
import { makeTempDir, startTestServer } from './helpers/server.ts';

const TWO_HOURS_AGO = new Date(Date.now() - 2 * 60 * 60 * 1000);

it('after start, files no row refers to are removed; recent ones and live ones stay', async () => {
  const dataDir = await makeTempDir();
  assert.equal((await runCli(['import', path.join(FIXTURE_PHOTOS, 'gps'), '--public', '--init'], { LIGHTBOX_DATA_DIR: dataDir })).code, 0);
  const live = storedPhoto(dataDir, 'DSCN0010.jpg');

  const first = await startTestServer({ LIGHTBOX_DATA_DIR: dataDir });
  for (const name of ['thumb.webp', 'small.jpg']) {
    const response = await request(`${first.url}/images/${live.publicId}/${name}`);
    await response.body.dump();
  }
  await first.app.close();

  const shard = (hash: string) => path.join(dataDir, 'originals', hash.slice(0, 2), hash.slice(2, 4));
  const oldOrphan = path.join(shard('a'.repeat(64)), `${'a'.repeat(64)}.jpg`);
  const newOrphan = path.join(shard('b'.repeat(64)), `${'b'.repeat(64)}.jpg`);
  const goneDir = path.join(dataDir, 'derived', 'ZZ', 'ZZZZZZZZZZZZZZZZZZZZZZ');
  const liveDir = path.join(dataDir, 'derived', live.publicId.slice(0, 2), live.publicId);
  const staleVersion = path.join(liveDir, 'medium.v0.webp');
  const tempLeftover = path.join(dataDir, 'tmp', 'leftover.part');
  for (const file of [oldOrphan, newOrphan, path.join(goneDir, 'thumb.v1.webp'), staleVersion, tempLeftover]) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, 'orphan');
  }
  await utimes(oldOrphan, TWO_HOURS_AGO, TWO_HOURS_AGO);
  await utimes(goneDir, TWO_HOURS_AGO, TWO_HOURS_AGO);
  await utimes(tempLeftover, TWO_HOURS_AGO, TWO_HOURS_AGO);

  const second = await startTestServer({ LIGHTBOX_DATA_DIR: dataDir });
  try {
    await second.app.maintenance;
    assert.equal(existsSync(oldOrphan), false, 'an old original no photo refers to');
    assert.equal(existsSync(newOrphan), true, 'a recent one may belong to an import in progress');
    assert.equal(existsSync(goneDir), false, 'renditions of a deleted photo');
    assert.equal(existsSync(staleVersion), false, 'a rendition of a superseded version');
    assert.equal(existsSync(tempLeftover), false, 'a temp file from an interrupted write');
    assert.equal(existsSync(live.file), true);
    assert.equal(existsSync(path.join(liveDir, 'thumb.v1.webp')), true);
    const image = await request(`${second.url}/images/${live.publicId}/original.jpg`);
    await image.body.dump();
    assert.equal(image.statusCode, 200);
  } finally {
    await second.close();
  }
});
