// `npm run bench`: measurements side by side with peers, printed and written to bench/results/latest.md.
// Loopback only, every run bounded. Not a test: it asserts nothing about speed.
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { benchImageRoute } from './image-route.ts';
import { machineDescription } from './lib/machine.ts';
import { ensureWrk } from './lib/wrk.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    cases: { type: 'string' },
    output: { type: 'string', default: new URL('./results/latest.md', import.meta.url).pathname },
  },
});

const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
if (!(seconds > 0 && seconds <= 60 && Number.isInteger(rounds) && rounds >= 1 && rounds <= 10 && connections >= 1)) {
  throw new Error('--seconds must be in (0, 60], --rounds in 1..10, --connections ≥ 1');
}

ensureWrk();
const command = `npm run bench -- --seconds ${seconds} --rounds ${rounds} --connections ${connections}`;
process.stderr.write(`Image route vs @fastify/static and serve-static (${command})\n`);
const imageTable = await benchImageRoute({ seconds, rounds, connections, only: values.cases });

const report = `# Lightbox benchmarks

${machineDescription(['fastify', '@fastify/static', 'serve-static', 'send'])}
- command: \`${command}\`

## Image route

wrk (1 thread, ${connections} connections, ${seconds} s × ${rounds} rounds per cell, servers alternating) against
each server in its own process, serving the same files. "req per server CPU-s" divides the
requests by the server process's own user+system CPU time (\`process.cpuUsage()\` over IPC):
it survives noisy neighbours far better than req/s. "Lightbox ×" is Lightbox's req per
CPU-s divided by that peer's. Lightbox does one SQLite lookup and one \`fs.stat\` per request;
"Lightbox, cache off" is the same server with \`LIGHTBOX_IMAGE_CACHE_MB=0\` (every body read from disk).

${imageTable}
`;

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(values.output, report);
process.stdout.write(`${report}\nwritten to ${values.output}\n`);
