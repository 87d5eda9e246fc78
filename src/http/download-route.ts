import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AlbumZipDeps, writeAlbumZip } from '../images/album-zip.ts';
import { type DownloadChecks, verifyDownload } from '../images/download-url.ts';
import { attachmentDisposition } from '../images/zip-names.ts';
import { sendPlain } from './plain-response.ts';

/**
 * `GET|HEAD /download/albums/<albumId>.zip?exp=…[&s=…]&sig=…`: an album as a ZIP, streamed as
 * it is written (images/album-zip.ts), for a URL GraphQL's Album.download handed out. A thin
 * node:http handler like the image route:
 *
 * 1. the method (405 with Allow for any other);
 * 2. verifyDownload (images/download-url.ts): the album and as whom, or nothing, answered
 *    exactly as any path this server does not have (the dispatcher's 404), never a 500;
 * 3. the headers (an attachment named after the album, never stored by a cache), then HEAD, or
 *    the archive, entry by entry, at the client's pace.
 *
 * No Content-Length (the archive's size is known only once written) and no Range: a cut
 * download starts again from the beginning.
 */

export interface DownloadRouteDeps extends AlbumZipDeps {
  checks: DownloadChecks;
}

export type DownloadHandler = (req: IncomingMessage, res: ServerResponse, pathname: string, search: string) => void;

export function createDownloadRoute(deps: DownloadRouteDeps): DownloadHandler {
  return (req, res, pathname, search) => handleDownload(deps, req, res, pathname, search);
}

function handleDownload(deps: DownloadRouteDeps, req: IncomingMessage, res: ServerResponse, pathname: string, search: string): void {
  const headOnly = req.method === 'HEAD';
  if (req.method !== 'GET' && !headOnly) {
    sendPlain(res, 405, 'Method not allowed: use GET or HEAD', 'no-store', false, { Allow: 'GET, HEAD' });
    return;
  }
  const download = verifyDownload(deps.checks, pathname, search);
  if (download === undefined) {
    // Exactly what the dispatcher answers for a path it does not know.
    sendPlain(res, 404, 'Not found', 'no-store', headOnly);
    return;
  }
  res.writeHead(200, {
    'Content-Type': 'application/zip',
    'Content-Disposition': attachmentDisposition(download.album.title, 'zip'),
    'Cache-Control': 'private, no-store',
    'X-Content-Type-Options': 'nosniff',
    // The URL is the credential: it must not leave in a Referer from anything the archive is opened beside.
    'Referrer-Policy': 'no-referrer',
  });
  if (headOnly) {
    res.end();
    return;
  }
  writeAlbumZip(deps, download, res).then(
    (outcome) => {
      if (outcome.kind === 'cut')
        deps.logger.info({ album: download.album.publicId, entries: outcome.entries, reason: outcome.reason }, 'album download cut short');
    },
    (error: unknown) => {
      deps.logger.error({ err: error, album: download.album.publicId }, 'album download failed');
      res.destroy();
    },
  );
}
