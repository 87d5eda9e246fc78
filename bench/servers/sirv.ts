// sirv on node:http, serving the folder given as argv[2]: it stats every file once at start and
// keeps its headers, so it never touches the disk per request (and never sees a rewritten file).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sirv from 'sirv';
import { announce } from './protocol.ts';

const root = process.argv[2];
if (!root) throw new Error('usage: sirv.ts <folder>');
const serve = sirv(root, { etag: true, dev: false });
const server = createServer((req, res) => {
  serve(req, res, () => {
    res.statusCode = 404;
    res.end('Not found');
  });
});
server.listen(0, '127.0.0.1', () => announce((server.address() as AddressInfo).port));
