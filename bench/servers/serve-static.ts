// serve-static (send) on node:http, serving the folder given as argv[2].
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import serveStatic from 'serve-static';
import { announce } from './protocol.ts';

const root = process.argv[2];
if (!root) throw new Error('usage: serve-static.ts <folder>');
const serve = serveStatic(root, { index: false });
const server = createServer((req, res) => {
  serve(req, res, () => {
    res.statusCode = 404;
    res.end('Not found');
  });
});
server.listen(0, '127.0.0.1', () => announce((server.address() as AddressInfo).port));
