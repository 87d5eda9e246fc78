// The gallery page without GraphQL: the practical limit for this data. It answers every POST with
// the page `GALLERY_QUERY` asks for, made by two prepared statements and JSON.stringify; the
// bench checks it is the very page Lightbox answers. argv[2] is the benchmark data dir.
import { createServer } from 'node:http';
import path from 'node:path';
import { encodeGlobalID } from '@pothos/plugin-relay';
import Database from 'better-sqlite3';
import { imageUrl } from '../../src/images/image-url.ts';
import { variantDimensions } from '../../src/media/variants.ts';
import { announce } from './protocol.ts';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: gallery-baseline.ts <data dir>');
const db = new Database(path.join(dataDir, 'lightbox.db'), { readonly: true });

interface AlbumRow {
  id: number;
  public_id: string;
  title: string;
  total: number;
  photo_count: number;
  cover_public_id: string | null;
  cover_extension: string;
  cover_version: number;
  cover_url_key: string;
}

interface PhotoRow {
  album_id: number;
  public_id: string;
  width: number;
  height: number;
  placeholder_hash: string | null;
  dominant_color: string | null;
  original_extension: string;
  version: number;
  url_key: string;
}

// Public albums newest first with their total, photo count and cover (chosen, or else the first photo).
const albumsStatement = db.prepare<[], AlbumRow>(`
  SELECT a.id, a.public_id, a.title, count(*) OVER () AS total,
         (SELECT count(*) FROM album_photos m WHERE m.album_id = a.id) AS photo_count,
         c.public_id AS cover_public_id, c.original_extension AS cover_extension, c.version AS cover_version, c.url_key AS cover_url_key
    FROM albums a
    LEFT JOIN photos c ON c.id = coalesce(a.cover_photo_id,
      (SELECT f.photo_id FROM album_photos f WHERE f.album_id = a.id ORDER BY f.position, f.photo_id LIMIT 1))
   WHERE a.visibility = 'PUBLIC'
   ORDER BY a.created_at DESC, a.id DESC LIMIT 20`);

// The first 12 photos of each of those albums, in album order.
const photosStatement = db.prepare<[string], PhotoRow>(`
  SELECT ap.album_id, p.public_id, p.width, p.height, p.placeholder_hash, p.dominant_color, p.original_extension, p.version, p.url_key
    FROM json_each(?) AS w
    JOIN album_photos ap ON ap.rowid IN (
      SELECT m.rowid FROM album_photos m WHERE m.album_id = w.value ORDER BY m.position, m.photo_id LIMIT 12)
    JOIN photos p ON p.id = ap.photo_id
   ORDER BY ap.album_id, ap.position, ap.photo_id`);

function galleryPage(): string {
  const albums = albumsStatement.all();
  const photosByAlbum = new Map<number, unknown[]>();
  for (const row of photosStatement.all(JSON.stringify(albums.map((album) => album.id)))) {
    const photo = { publicId: row.public_id, originalExtension: row.original_extension, version: row.version, urlKey: row.url_key };
    const thumb = variantDimensions('thumb', row.width, row.height);
    const node = {
      id: encodeGlobalID('Photo', row.public_id),
      width: row.width,
      height: row.height,
      placeholder: row.placeholder_hash === null ? null : { hash: row.placeholder_hash, dominantColor: row.dominant_color },
      image: { url: imageUrl(photo, 'thumb', 'webp'), width: thumb.width, height: thumb.height },
    };
    const list = photosByAlbum.get(row.album_id);
    if (list === undefined) photosByAlbum.set(row.album_id, [node]);
    else list.push(node);
  }
  return JSON.stringify({
    data: {
      albums: {
        totalCount: albums[0]?.total ?? 0,
        nodes: albums.map((album) => ({
          id: encodeGlobalID('Album', album.public_id),
          title: album.title,
          photoCount: album.photo_count,
          cover:
            album.cover_public_id === null
              ? null
              : {
                  id: encodeGlobalID('Photo', album.cover_public_id),
                  image: {
                    url: imageUrl(
                      {
                        publicId: album.cover_public_id,
                        originalExtension: album.cover_extension,
                        version: album.cover_version,
                        urlKey: album.cover_url_key,
                      },
                      'thumb',
                      'webp',
                    ),
                  },
                },
          photos: { nodes: photosByAlbum.get(album.id) ?? [] },
        })),
      },
    },
  });
}

const server = createServer((req, res) => {
  req.resume();
  req.once('end', () => {
    const body = Buffer.from(galleryPage());
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  announce(address.port);
});
