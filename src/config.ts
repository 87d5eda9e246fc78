import { isIP } from 'node:net';
import { availableParallelism, totalmem } from 'node:os';
import path from 'node:path';
import { ConfigError } from './errors.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The configuration, in parts: each part of the system is handed the part it needs, not copies of its fields. */
export interface Config {
  dataDir: string;
  logLevel: LogLevel;
  http: HttpConfig;
  auth: AuthConfig;
  graphql: GraphQLConfig;
  images: ImageConfig;
  ingest: IngestConfig;
  jobs: JobConfig;
  storage: StorageConfig;
}

export interface HttpConfig {
  port: number;
  host: string | undefined;
  /**
   * LIGHTBOX_PUBLIC_URL: where people reach this server (behind a proxy, the proxy's address), without
   * a trailing slash; the links the CLI and the owner's app hand out start with it. Unset: the listening address.
   */
  publicUrl: string | undefined;
  /** How long in-flight requests (and running jobs) may take to finish on shutdown. */
  shutdownGraceMs: number;
  /**
   * LIGHTBOX_PROCESSES: HTTP server processes on the one port and library (`auto`: one per core,
   * as memory allows). 1 is one process and nothing else; more are supervised by a primary.
   */
  processes: number;
}

export interface AuthConfig {
  /** From LIGHTBOX_ADMIN_TOKEN; when unset, one is generated and kept in the data dir. */
  adminToken: string | undefined;
  /** From LIGHTBOX_SECRET (URL signing); when unset, a random one is kept in the data dir. */
  secret: string | undefined;
  /** How long a signed URL for a private photo stays valid, in seconds. */
  signedUrlTtlSeconds: number;
}

export interface GraphQLConfig {
  graphiql: boolean;
  introspection: boolean;
  /** NODE_ENV=production: field suggestions are hidden from everyone but the admin. */
  production: boolean;
  serverTiming: boolean;
  /** Origins whose pages may call the API from a browser (`*` for any); empty: same origin only. */
  corsOrigins: readonly string[];
  /** Whether those cross-origin calls may carry cookies or HTTP auth (Lightbox itself uses neither). */
  corsCredentials: boolean;
  trustedDocuments: TrustedDocumentsConfig;
  /** Rows GraphQL read are remembered until the next commit (any process's): LIGHTBOX_READ_CACHE. */
  readCache: boolean;
  /** Longest GraphQL document accepted, in bytes (LIGHTBOX_MAX_DOCUMENT_KB): longer ones are refused before parsing. */
  maxDocumentBytes: number;
}

export interface TrustedDocumentsConfig {
  /** LIGHTBOX_TRUSTED_DOCUMENTS=only: callers other than the admin may run trusted documents and nothing else. */
  only: boolean;
  /** Manifests (`persisted-documents.json` from codegen): their documents may be named by hash alone, in any mode. */
  files: readonly string[];
}

export interface ImageConfig {
  /** sharp renders of missing renditions at once, and how many may wait before 503. */
  renderConcurrency: number;
  renderQueue: number;
  /** Bytes of image files kept in memory (validated by a stat at most a second old); 0 turns it off. */
  cacheBytes: number;
  /** How long browsers and shared caches may keep a public image at its current URL; 0: revalidate every time. */
  publicMaxAgeSeconds: number;
}

export interface IngestConfig {
  /** Largest file an upload or URL import may carry. */
  maxBytes: number;
  /** Hosts URL imports may fetch from even when they resolve to private addresses. */
  importAllowHosts: ReadonlySet<string>;
  /** The whole of one URL import, connect to last byte, in seconds. */
  importTimeoutSeconds: number;
}

export interface JobConfig {
  /** In-process worker concurrency; 0 leaves processing to `lightbox worker`. */
  workers: number;
  /** Lease length, attempts before FAILED, first retry delay (then ×4 each time). */
  leaseSeconds: number;
  attempts: number;
  retrySeconds: number;
}

/** Where originals and renditions live: the data dir (as always), or a bucket of an S3-compatible object store. */
export type StorageConfig = { kind: 'local' } | BucketStorageConfig;

export interface BucketStorageConfig {
  kind: 's3';
  /** LIGHTBOX_STORAGE as the library records it: `s3://bucket` or `s3://bucket/prefix`. */
  location: string;
  bucket: string;
  /** Every key starts with it (no slash at either end); empty for the bucket's root. */
  prefix: string;
  /** LIGHTBOX_S3_ENDPOINT: a non-AWS store's address; undefined for AWS itself. */
  endpoint: string | undefined;
  /** AWS_REGION (us-east-1 unless set: what MinIO, Ceph and Swift answer to). */
  region: string;
  /** Bucket in the path, not the host name (LIGHTBOX_S3_PATH_STYLE): what most stores but AWS need. */
  forcePathStyle: boolean;
  /** LIGHTBOX_LOCAL_CACHE_MB: the local disk the bucket's files may take in data/cache. */
  localCacheBytes: number;
  /** AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); unset, the SDK's own chain (a profile, an instance role). */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const MIN_TOKEN_LENGTH = 16;
/** The bodies' slab is one Buffer (http/file-cache.ts), at most 4 GiB in Node 20: 7/16 of 8 GiB stays under it. */
const MAX_IMAGE_CACHE_MB = 8_192;

type Env = Record<string, string | undefined>;

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) {
    throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got "${raw}"`);
  }
  const value = Number(raw.trim());
  if (value < min || value > max) {
    throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `expected true or false, got "${env[name]}"`);
}

function readSecretLike(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError(name, `must be at least ${MIN_TOKEN_LENGTH} characters long`);
  }
  if (/\s/.test(raw)) throw new ConfigError(name, 'must not contain whitespace');
  return raw;
}

function readLogLevel(env: Env): LogLevel {
  const raw = env.LOG_LEVEL?.trim().toLowerCase();
  if (raw === undefined || raw === '') return 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  return raw as LogLevel;
}

function readOrigins(env: Env, name: string): string[] {
  const entries = (env[name] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    if (entry === '*') continue;
    let origin: string | undefined;
    try {
      origin = new URL(entry).origin;
    } catch {
      origin = undefined;
    }
    if (origin !== entry) throw new ConfigError(name, `"${entry}" is not an origin (scheme://host[:port], no path), nor *`);
  }
  return entries;
}

function readTrustedMode(env: Env): boolean {
  const raw = env.LIGHTBOX_TRUSTED_DOCUMENTS?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'off') return false;
  if (raw === 'only') return true;
  throw new ConfigError('LIGHTBOX_TRUSTED_DOCUMENTS', `expected "only" or "off", got "${env.LIGHTBOX_TRUSTED_DOCUMENTS}"`);
}

/** An IP address or a host name; a dotted quad that is no IPv4 address is refused here, not by a DNS lookup at listen. */
function readHost(env: Env): string | undefined {
  const host = env.HOST?.trim() || undefined;
  if (host === undefined || isIP(host) !== 0) return host;
  if (/^[\d.]+$/.test(host))
    throw new ConfigError('HOST', `"${host}" is not an IPv4 address (use one this machine has, such as 127.0.0.1 or 0.0.0.0)`);
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host) && !/^\[?[0-9a-fA-F:]+\]?$/.test(host)) {
    throw new ConfigError('HOST', `"${host}" is neither an IP address nor a host name`);
  }
  return host;
}

function urlOf(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** An absolute http(s) URL with no query or fragment; a path is kept (a server under `/photos/` behind a proxy). */
function readPublicUrl(env: Env): string | undefined {
  const raw = env.LIGHTBOX_PUBLIC_URL?.trim();
  if (raw === undefined || raw === '') return undefined;
  const url = urlOf(raw);
  if (
    url === undefined ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== ''
  ) {
    throw new ConfigError(
      'LIGHTBOX_PUBLIC_URL',
      `expected an http:// or https:// address with no query, fragment or credentials, such as https://photos.example.com, got "${raw}"`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KEY_PREFIX = /^[A-Za-z0-9!_.*'()/-]{1,512}$/;

/** LIGHTBOX_STORAGE: `local` (the default), or `s3://bucket[/prefix]` with the S3 settings beside it. */
function readStorage(env: Env, uploadMaxBytes: number): StorageConfig {
  const raw = env.LIGHTBOX_STORAGE?.trim() ?? '';
  if (raw === '' || raw === 'local') return { kind: 'local' };
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(raw);
  const bucket = match?.[1] ?? '';
  const prefix = (match?.[2] ?? '').replace(/\/+$/, '');
  if (match === null || !BUCKET_NAME.test(bucket) || (prefix !== '' && (!KEY_PREFIX.test(prefix) || /(^|\/)\.{0,2}(\/|$)/.test(prefix)))) {
    throw new ConfigError(
      'LIGHTBOX_STORAGE',
      `expected "local" or s3://<bucket>[/<prefix>] (a bucket name of 3-63 lowercase letters, digits, dots and dashes), got "${raw}"`,
    );
  }
  const endpoint = readEndpoint(env);
  const localCacheBytes = readInteger(env, 'LIGHTBOX_LOCAL_CACHE_MB', 2048, 1, 10_485_760) * 1024 * 1024;
  // Processing and rendering read an original from the cache: the largest one must fit twice.
  if (localCacheBytes < 2 * uploadMaxBytes) {
    throw new ConfigError(
      'LIGHTBOX_LOCAL_CACHE_MB',
      `must be at least twice LIGHTBOX_UPLOAD_MAX_MB (${(2 * uploadMaxBytes) / 1024 / 1024}), so the largest original fits in the cache while it is rendered; got ${localCacheBytes / 1024 / 1024}`,
    );
  }
  return {
    kind: 's3',
    location: prefix === '' ? `s3://${bucket}` : `s3://${bucket}/${prefix}`,
    bucket,
    prefix,
    endpoint,
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1',
    forcePathStyle: readBoolean(env, 'LIGHTBOX_S3_PATH_STYLE', endpoint !== undefined),
    localCacheBytes,
    credentials: readCredentials(env),
  };
}

function readCredentials(env: Env): BucketStorageConfig['credentials'] {
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim() ?? '';
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim() ?? '';
  if (accessKeyId === '' && secretAccessKey === '') return undefined;
  if (accessKeyId === '' || secretAccessKey === '') {
    throw new ConfigError(
      accessKeyId === '' ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY',
      'set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither',
    );
  }
  const sessionToken = env.AWS_SESSION_TOKEN?.trim();
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

function readEndpoint(env: Env): string | undefined {
  const raw = env.LIGHTBOX_S3_ENDPOINT?.trim();
  if (raw === undefined || raw === '') return undefined;
  const url = urlOf(raw);
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.username !== '') {
    throw new ConfigError(
      'LIGHTBOX_S3_ENDPOINT',
      `expected the store's http:// or https:// address, such as https://s3.eu-central-003.backblazeb2.com, got "${raw}"`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * What `auto` allows each server process of the machine's memory (or the container's limit): a
 * server process holds about 125 MB idle and 300–350 MB busy (bench/README.md), so one per 512 MB
 * leaves a small NAS room for its page cache and everything else, whatever its core count.
 */
const MEMORY_PER_AUTO_PROCESS = 512 * 1024 * 1024;
const MAX_PROCESSES = 64;

/** One server process per core the process may run on, as many as memory allows. */
export function autoProcessCount(
  cores = availableParallelism(),
  memoryBytes = Math.min(totalmem(), process.constrainedMemory?.() || Infinity),
): number {
  return Math.max(1, Math.min(cores, MAX_PROCESSES, Math.floor(memoryBytes / MEMORY_PER_AUTO_PROCESS)));
}

function readProcesses(env: Env): number {
  const raw = env.LIGHTBOX_PROCESSES?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'auto') return autoProcessCount();
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PROCESSES) {
    throw new ConfigError(
      'LIGHTBOX_PROCESSES',
      `expected auto or a whole number from 1 to ${MAX_PROCESSES}, got "${env.LIGHTBOX_PROCESSES}"`,
    );
  }
  return Number(raw);
}

/** Reads and validates the whole configuration; throws ConfigError naming the variable at fault. */
export function loadConfig(env: Env = process.env): Config {
  const uploadMaxBytes = readInteger(env, 'LIGHTBOX_UPLOAD_MAX_MB', 200, 1, 10_240) * 1024 * 1024;
  return {
    dataDir: path.resolve(env.LIGHTBOX_DATA_DIR?.trim() || './data'),
    logLevel: readLogLevel(env),
    http: {
      port: readInteger(env, 'PORT', 4000, 0, 65535),
      host: readHost(env),
      publicUrl: readPublicUrl(env),
      shutdownGraceMs: readInteger(env, 'LIGHTBOX_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
      processes: readProcesses(env),
    },
    auth: {
      adminToken: readSecretLike(env, 'LIGHTBOX_ADMIN_TOKEN'),
      secret: readSecretLike(env, 'LIGHTBOX_SECRET'),
      signedUrlTtlSeconds: readInteger(env, 'LIGHTBOX_SIGNED_URL_TTL', 3600, 60, 7 * 24 * 3600),
    },
    graphql: {
      graphiql: readBoolean(env, 'LIGHTBOX_GRAPHIQL', true),
      introspection: readBoolean(env, 'LIGHTBOX_INTROSPECTION', true),
      production: env.NODE_ENV === 'production',
      serverTiming: readBoolean(env, 'LIGHTBOX_SERVER_TIMING', true),
      corsOrigins: readOrigins(env, 'LIGHTBOX_CORS_ORIGINS'),
      corsCredentials: readBoolean(env, 'LIGHTBOX_CORS_CREDENTIALS', false),
      readCache: readBoolean(env, 'LIGHTBOX_READ_CACHE', true),
      maxDocumentBytes: readInteger(env, 'LIGHTBOX_MAX_DOCUMENT_KB', 64, 1, 1024) * 1024,
      trustedDocuments: {
        only: readTrustedMode(env),
        files: (env.LIGHTBOX_TRUSTED_DOCUMENTS_FILE ?? '')
          .split(',')
          .map((file) => file.trim())
          .filter((file) => file !== '')
          .map((file) => path.resolve(file)),
      },
    },
    images: {
      renderConcurrency: readInteger(env, 'LIGHTBOX_RENDER_CONCURRENCY', Math.max(1, availableParallelism()), 1, 64),
      renderQueue: readInteger(env, 'LIGHTBOX_RENDER_QUEUE', 64, 0, 10_000),
      cacheBytes: readInteger(env, 'LIGHTBOX_IMAGE_CACHE_MB', 128, 0, MAX_IMAGE_CACHE_MB) * 1024 * 1024,
      publicMaxAgeSeconds: readInteger(env, 'LIGHTBOX_PUBLIC_MAX_AGE', 31_536_000, 0, 31_536_000),
    },
    ingest: {
      maxBytes: uploadMaxBytes,
      importAllowHosts: new Set(
        (env.LIGHTBOX_IMPORT_ALLOW_HOSTS ?? '')
          .split(',')
          .map((host) => host.trim().toLowerCase())
          .filter((host) => host !== ''),
      ),
      importTimeoutSeconds: readInteger(env, 'LIGHTBOX_IMPORT_TIMEOUT_S', 60, 1, 3600),
    },
    jobs: {
      workers: readInteger(env, 'LIGHTBOX_WORKERS', 2, 0, 64),
      leaseSeconds: readInteger(env, 'LIGHTBOX_JOB_LEASE_SECONDS', 60, 1, 3600),
      attempts: readInteger(env, 'LIGHTBOX_JOB_ATTEMPTS', 3, 1, 20),
      retrySeconds: readInteger(env, 'LIGHTBOX_JOB_RETRY_SECONDS', 2, 0, 3600),
    },
    storage: readStorage(env, uploadMaxBytes),
  };
}
