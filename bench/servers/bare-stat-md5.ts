// The seed's own 304 as first written: a bare node:http handler that stats the file, makes an MD5
// ETag of mtime and size, and answers If-None-Match with 304 (else streams the file). No
// visibility, signatures, ranges or Last-Modified: the floor a full route is measured against.
import { createHash } from 'node:crypto';
import { createReadStream, stat } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { announce } from './protocol.ts';

const root = process.argv[2];
if (!root) throw new Error('usage: bare-stat-md5.ts <folder>');
const server = createServer((req, res) => {
  const file = path.join(root, path.basename(req.url ?? '/'));
  stat(file, (error, stats) => {
    if (error) {
      res.writeHead(404).end();
      return;
    }
    const etag = `"${createHash('md5').update(`${stats.mtimeMs}-${stats.size}`).digest('hex')}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag }).end();
      return;
    }
    res.writeHead(200, { ETag: etag, 'Content-Length': stats.size, 'Content-Type': 'image/png' });
    createReadStream(file).pipe(res);
  });
});
server.listen(0, '127.0.0.1', () => announce((server.address() as AddressInfo).port));
