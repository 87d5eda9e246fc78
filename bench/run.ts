// `npm run bench`: measurements side by side with peers, printed and written to bench/results/latest.md.
// Loopback only, every run bounded. Not a test: it asserts nothing about speed.
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { benchAlbumZip } from './album-zip.ts';
import { benchCliStart } from './cli-start.ts';
import { benchGraphQL, GALLERY_QUERY } from './graphql.ts';
import { benchHeic } from './heic.ts';
import { benchImageRoute } from './image-route.ts';
import { machineDescription } from './lib/machine.ts';
import { nginxVersion } from './lib/nginx.ts';
import { ensureWrk } from './lib/wrk.ts';
import { benchObjectStorage } from './object-storage.ts';
import { benchProcesses } from './processes.ts';
import { benchProcessing } from './processing.ts';
import { benchScale } from './scale.ts';
import { benchStartupScale } from './startup-scale.ts';
import { benchSubscriptions } from './subscriptions.ts';
import { benchWal } from './wal.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string' },
    cases: { type: 'string' },
    // Only the GraphQL rows whose label contains this text.
    'graphql-cases': { type: 'string' },
    sections: { type: 'string' },
    output: { type: 'string' },
    // Other checkouts, comma-separated (git worktrees with node_modules): each Lightbox is measured beside this one's, same rows, same rounds.
    against: { type: 'string' },
    // Library sizes of the scale section, comma-separated, smallest first (default 1000,100000; 1000000 builds a million rows).
    'scale-sizes': { type: 'string' },
    // New 12-megapixel photos imported per round into each library of the scale section (default 6).
    'scale-import-photos': { type: 'string' },
    // Photos imported into each library of the object-storage section (default 100).
    'storage-photos': { type: 'string' },
    // Photos of 5 MB in the album-download section's album (default 205: about 1 GB).
    'zip-photos': { type: 'string' },
  },
});

// Only a run with every default is the committed record; any other run writes beside it, unless told where.
const fullRun = [
  values.seconds,
  values.rounds,
  values.connections,
  values.cases,
  values.sections,
  values.against,
  values['scale-sizes'],
  values['zip-photos'],
].every((given) => given === undefined);
const output = values.output ?? new URL(fullRun ? './results/latest.md' : './results/partial.md', import.meta.url).pathname;
const seconds = Number(values.seconds ?? '3');
const rounds = Number(values.rounds ?? '3');
const connections = Number(values.connections ?? '50');
if (!(seconds > 0 && seconds <= 60 && Number.isInteger(rounds) && rounds >= 1 && rounds <= 10 && connections >= 1)) {
  throw new Error('--seconds must be in (0, 60], --rounds in 1..10, --connections ≥ 1');
}

ensureWrk();
const against = values.against?.split(',').filter((root) => root !== '');
const command = `npm run bench -- --seconds ${seconds} --rounds ${rounds} --connections ${connections}${values.against === undefined ? '' : ` --against ${values.against}`}`;
const sections = new Set((values.sections ?? 'image,graphql,processes,scale,wal,processing,heic,subscriptions,cli,zip,storage').split(','));
let imageTable = '(not run)';
if (sections.has('image')) {
  process.stderr.write(`Image route vs nginx, sirv, a bare stat+md5 handler, @fastify/static and serve-static (${command})\n`);
  imageTable = await benchImageRoute({ seconds, rounds, connections, only: values.cases, against });
}
let processesTable = '(not run)';
if (sections.has('processes')) {
  process.stderr.write('Several server processes (LIGHTBOX_PROCESSES=2) against one\n');
  processesTable = await benchProcesses({ seconds, rounds, connections, only: values.cases });
}
let walTable = '(not run)';
if (sections.has('wal')) {
  process.stderr.write('WAL vs DELETE: reader latency while another process writes\n');
  walTable = await benchWal({ seconds: Math.max(1, seconds * 2) });
}
let processingTable = '(not run)';
if (sections.has('processing')) {
  process.stderr.write('Processing: thumbnails per second, Lightbox renderer vs bare sharp\n');
  processingTable = await benchProcessing({ seconds: Math.max(1, seconds * 2) });
}
let heicTable = '(not run)';
if (sections.has('heic')) {
  process.stderr.write('HEIC: thumbnails per second next to JPEG, and the event loop while HEICs are processed\n');
  heicTable = await benchHeic({ seconds: Math.max(1, seconds * 2) });
}
let subscriptionsTable = '(not run)';
if (sections.has('subscriptions')) {
  process.stderr.write('Subscriptions: commit in another process → event, and idle subscribers\n');
  subscriptionsTable = await benchSubscriptions({ seconds: Math.max(1, seconds) });
}
let scaleTable = '(not run)';
if (sections.has('scale')) {
  process.stderr.write('Scale: every kind of GraphQL read at several library sizes, uncached\n');
  const sizes = (values['scale-sizes'] ?? '1000,100000').split(',').map(Number);
  if (!sizes.every((size) => Number.isInteger(size) && size >= 100 && size <= 2_000_000))
    throw new Error('--scale-sizes: whole numbers from 100 to 2,000,000');
  const importPhotos = Number(values['scale-import-photos'] ?? '6');
  if (!(Number.isInteger(importPhotos) && importPhotos >= 1 && importPhotos <= 100)) throw new Error('--scale-import-photos: 1 to 100');
  scaleTable = await benchScale({ sizes, requests: 20, rounds, seconds, connections, importPhotos });
}
// Not in the default run: at 100k photos it links and reads gigabytes (verify hashes every original).
let cliTable = '(not run)';
if (sections.has('cli')) {
  process.stderr.write('Command line: --help, album list and serve until /healthz, compiled and from sources\n');
  cliTable = await benchCliStart({ runs: Math.max(5, rounds * 3) });
}
let startupTable = '(not run: `npm run bench -- --sections startup`)';
if (sections.has('startup')) {
  process.stderr.write('Start-up at scale: /healthz during the sweep, backup and verify\n');
  startupTable = await benchStartupScale();
}
let zipTable = '(not run)';
if (sections.has('zip')) {
  process.stderr.write('Album download: a ~1 GB album as one ZIP, the server resident memory idle and during it\n');
  const zipPhotos = Number(values['zip-photos'] ?? '205');
  if (!(Number.isInteger(zipPhotos) && zipPhotos >= 1 && zipPhotos <= 2000)) throw new Error('--zip-photos: 1 to 2000');
  zipTable = await benchAlbumZip({ photos: zipPhotos, photoMegabytes: 5 });
}
let storageTable = '(not run)';
if (sections.has('storage')) {
  process.stderr.write('Object storage: a library in a Swift bucket (S3 API) beside the same library on the local disk\n');
  const photos = Number(values['storage-photos'] ?? '100');
  if (!(Number.isInteger(photos) && photos >= 10 && photos <= 1000)) throw new Error('--storage-photos: 10 to 1000');
  storageTable = await benchObjectStorage({ seconds, rounds, connections, photos });
}
let graphqlTable = '(not run)';
if (sections.has('graphql')) {
  process.stderr.write('GraphQL gallery page: uncached, response cache hit, 304\n');
  graphqlTable = await benchGraphQL({ seconds, rounds, connections, only: values['graphql-cases'], against });
}

const report = `# Lightbox benchmarks

${machineDescription(['fastify', '@fastify/static', 'serve-static', 'send', 'sirv'])}
- nginx: ${nginxVersion ?? 'not installed'}
- command: \`${command}\`

## Image route

wrk (1 thread, ${connections} connections, ${seconds} s × ${rounds} rounds per cell, servers alternating) against
each server in its own process, serving the same files. "req per server CPU-s" divides the
requests by the server process's own user+system CPU time (\`process.cpuUsage()\` over IPC;
\`/proc/<pid>/stat\` for nginx, run as one process with \`master_process off\`): it survives
noisy neighbours far better than req/s. "Lightbox ×" is Lightbox's req per CPU-s divided by
that peer's in the same round, the median over the rounds (a round a neighbour disturbed is one
outlier, not part of every total). Lightbox checks visibility and \`fs.stat\`s the file on every request (a
rewritten file is never answered from a stale validator); "Lightbox, cache off" is the same
server with \`LIGHTBOX_IMAGE_CACHE_MB=0\` (every body read from disk). The peers: nginx with
its defaults (stat per request, no open_file_cache); sirv, which stats every file once at
start and never again; "bare stat+md5", the seed's first 304 handler (\`fs.stat\`, MD5 ETag,
compare, nothing else); @fastify/static and serve-static. The first row is the URL a browser
revalidates (no \`?v=\`); versioned URLs are immutable and not revalidated by browsers.

${imageTable}

## GraphQL gallery page

The page a gallery front end renders first: 20 albums, each with its cover and first 12
photos (thumb URL, size, placeholder), anonymous, against one Lightbox process. "Uncached" is
a JSON POST carrying a variable the query ignores, new on every request, so each misses the
response cache and is executed (and stored); the other rows are the same query answered by the
response cache, as a POST (as Apollo Client and Relay send it) or a GET (whose key includes
the database version, read from the wal-index header, not through SQL).
SQL statements are those the \`Server-Timing\` header reports for one request.

\`\`\`graphql
${GALLERY_QUERY}
\`\`\`

${graphqlTable}

## Several server processes

\`lightbox serve\` started as a person starts it (\`bin/lightbox.js\`, compiled), on copies of one
library (a 20 KB PNG, and the gallery page's 20 albums, processed), with \`LIGHTBOX_PROCESSES=1\` and
\`2\`, rounds alternating. wrk (1 thread, ${connections} connections) runs where the row says:
"1 process (server on CPU 0, wrk on CPU 1)" is how every other section pins, the peer every ratio
divides by; with two processes the server may use both CPUs and wrk shares them. "req per server
CPU-s" counts the CPU of every process of the server, the supervisor's included (utime + stime from
\`/proc/<pid>/stat\`); the split column says where it went. The last row opens a new connection per
request (\`Connection: close\`), which the round-robin supervisor accepts and hands over itself.

${processesTable}

## Scale

${scaleTable}

## Start-up, health, backup and verify at scale

${startupTable}

## Command line start

Each command as a person runs it: \`bin/lightbox.js\`, which runs \`dist/\` (the sources compiled
by \`npm install\` and before \`npm start\`), each command loading only its own modules; then the
same command from the TypeScript sources through tsx (\`LIGHTBOX_FROM_SOURCES=1\`, every start before
\`dist/\`). \`album list\` reads a library of 20 albums; \`serve\` is timed from spawning the process to
the first 200 from \`/healthz\` on an existing library. "× bare node" divides by \`node -e 0\` timed
in the same rounds: what the machine itself charges any Node.js program to start.

${cliTable}

## Album download

A private album of 205 photos of 5 MB each (\`--zip-photos\`) (rows sharing four files of random bytes, hard-linked
at each original's path) downloaded as one ZIP by the admin, through a Lightbox in its own
process, written to disk by the client as fast as it reads. The server's resident memory
(\`VmRSS\` from \`/proc/<pid>/status\`) is sampled every 20 ms idle for a second, after one
GraphQL request, and all through the download; "peak − idle" is what the download cost in memory
(the goal: within 50 MB). The archive is then checked with \`unzip -t\`.

${zipTable}

## Object storage

The same 100 photos imported into a library on the local disk and into one in a bucket of
OpenStack Swift's S3 API (Debian's packages, on loopback; \`test/support/swift/\`), both
processed, each served by a Lightbox in its own process (\`bench/servers/lightbox-storage.ts\`).
The 304 and the cached 200 are wrk rows as in the image route's table, servers alternating;
"Swift / local" is the median of the rounds' ratios of req per server CPU-s, and "bucket
requests" counts the image requests the bucket server did not answer from its local cache while
the row ran (the cache's own count, \`/healthz\` \`storage.cache.misses\`). The first 200s are
one request at a time for distinct photos: the local disk's from files on disk, the bucket's
from a replaced node (same database, empty cache), so each is a GET from the bucket and its
placing in the cache. The import is \`lightbox import\`'s work in this process (hash, probe, EXIF,
store the original, insert the row), timed alone; processing after it is not timed.

${storageTable}

## WAL vs rollback journal

The database as the server opens it (synchronous FULL, busy_timeout 5 s), seeded with 5,000
photos in one album. This process reads a gallery page (50 photos of the album, in album order)
over and over, yielding to the event loop between reads as a server does; a second process
inserts a photo and its album membership per transaction, as an import does, as fast as it can.
Same run, same duration for both modes.

${walTable}

## Processing

Thumbnails (256 px square WebP) per second from 12-megapixel JPEGs, one job per core: the
renderer Lightbox uses for derivatives (orientation, sRGB, metadata stripped, written to a temp
file, fsynced and renamed) against a bare \`sharp().rotate().resize().webp().toBuffer()\` loop on
the same files. Then the whole pipeline a worker runs per photo, on the real fixture photos,
against the bare loop on those files. Two alternating rounds each, averaged.

${processingTable}

## HEIC

The 12-megapixel iPhone fixture (3024×4032 as displayed), one job per core. "From the HEIC" is
what the first thumbnail of a new iPhone photo costs: libheif (WebAssembly) on a decoder thread,
the full-size JPEG every rendition is then cut from, and the thumbnail; "from the JPEG" starts
from that same JPEG. Then a Lightbox server in this process serves a thumbnail under wrk, idle
and while its in-process worker (2 jobs) processes copies of the HEIC; the event-loop delay is
the server's own (\`monitorEventLoopDelay\`, 5 ms resolution), so it shows whether decoding ever
runs where requests are answered.

${heicTable}

## Subscriptions

\`Subscription.libraryChanged\` over Server-Sent Events: a server in its own process, this process
committing changes through its own connection (as a CLI import or a \`lightbox worker\` does) and
reading the events. The server looks at the database version every 100 ms while anyone
listens, so an event waits 50 ms on average for the next look; then its subscribers' changes are
read through the access rule.

${subscriptionsTable}
`;

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(output, report);
process.stdout.write(
  `${report}\nwritten to ${output}${fullRun || values.output !== undefined ? '' : ' (a partial run: bench/results/latest.md is written only by `npm run bench` with no options)'}\n`,
);
