// @fastify/static serving the folder given as argv[2]: the peer the image route must beat.
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import { announce } from './protocol.ts';

const root = process.argv[2];
if (!root) throw new Error('usage: fastify-static.ts <folder>');
const app = Fastify({ logger: false });
await app.register(fastifyStatic, { root, prefix: '/' });
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
announce(typeof address === 'object' && address !== null ? address.port : 0);
