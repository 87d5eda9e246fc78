import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { BucketStorageConfig } from '../config.ts';
import { ConfigError, StorageUnavailableError } from '../errors.ts';

/** What the image route's validators are made from: the object's size and Last-Modified (whole seconds, as S3 keeps it). */
export interface ObjectFacts {
  size: number;
  modifiedMs: number;
}

export interface ListedObject extends ObjectFacts {
  /** Relative to the library's prefix. */
  key: string;
}

/** Parts of a multipart upload: S3's smallest part, so a 200 MB original holds 4 × 8 MB in memory at most. */
const PART_BYTES = 8 * 1024 * 1024;
const UPLOAD_QUEUE = 4;
/** A request that has not connected in this long, or not answered in that long, fails (and is retried by the SDK, 3 attempts in all). */
const CONNECT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * One bucket and prefix of an S3-compatible store, through @aws-sdk/client-s3, in the terms the
 * rest of Lightbox needs: facts, whole objects to and from files, ranges as streams, listing and
 * deleting. Credentials come from the SDK's usual chain (AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY, a profile, an instance role). A missing object is `undefined`; every
 * other failure is a StorageUnavailableError, never mistaken for "missing".
 */
export class Bucket {
  readonly client: S3Client;
  private readonly prefix: string;

  constructor(readonly config: BucketStorageConfig) {
    // The SDK's "newer versions will need Node 22" warning is for whoever upgrades package.json
    // (docs/operations.md says so), not for the person whose server prints it at every start.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials: config.credentials,
      // Streaming uploads with a checksum trailer are "aws-chunked", which Swift, Ceph and older MinIO refuse (501).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // A store under load answers 503 "reduce your request rate" (Swift, S3's SlowDown): five attempts
      // with the SDK's backoff give it about a second and a half before a request is refused as unavailable.
      maxAttempts: 5,
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
    });
    this.prefix = config.prefix === '' ? '' : `${config.prefix}/`;
  }

  /** The object's facts, or undefined when there is no such object. */
  async head(key: string): Promise<ObjectFacts | undefined> {
    try {
      const answer = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.prefix + key }));
      return { size: answer.ContentLength ?? 0, modifiedMs: answer.LastModified?.getTime() ?? 0 };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.unavailable('HEAD', key, error);
    }
  }

  /** A small object's text (a marker), or undefined when there is none. */
  async readText(key: string): Promise<string | undefined> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.prefix + key }));
      return await answer.Body?.transformToString('utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.unavailable('GET', key, error);
    }
  }

  async writeText(key: string, text: string): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.config.bucket, Key: this.prefix + key, Body: text }));
    } catch (error) {
      throw this.unavailable('PUT', key, error);
    }
  }

  /** Writes the object into `file` (created, not replaced); its facts, or undefined when there is no such object. */
  async download(key: string, file: string): Promise<ObjectFacts | undefined> {
    let body: Readable;
    let facts: ObjectFacts;
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.prefix + key }));
      body = answer.Body as Readable;
      facts = { size: answer.ContentLength ?? 0, modifiedMs: answer.LastModified?.getTime() ?? 0 };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.unavailable('GET', key, error);
    }
    try {
      await pipeline(body, createWriteStream(file, { flags: 'wx' }));
    } catch (error) {
      throw this.unavailable('GET', key, error);
    }
    return facts;
  }

  /** Bytes `start`..`end` (inclusive) of the object, as they arrive; undefined when there is no such object. */
  async range(key: string, start: number, end: number): Promise<Readable | undefined> {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.config.bucket, Key: this.prefix + key, Range: `bytes=${start}-${end}` }),
      );
      return answer.Body as Readable;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.unavailable('GET', key, error);
    }
  }

  /** Stores `file` under `key` (multipart past PART_BYTES, through lib-storage), then returns the stored object's facts. */
  async upload(key: string, file: string, contentType?: string): Promise<ObjectFacts> {
    try {
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.config.bucket, Key: this.prefix + key, Body: createReadStream(file), ContentType: contentType },
        partSize: PART_BYTES,
        queueSize: UPLOAD_QUEUE,
        leavePartsOnError: false,
      });
      await upload.done();
    } catch (error) {
      throw this.unavailable('PUT', key, error);
    }
    // PutObject answers no Last-Modified: the object's own is what every node's ETag is made from.
    const stored = await this.head(key);
    if (stored === undefined)
      throw new StorageUnavailableError(`${this.config.location}: ${key} was stored but cannot be found`, 'NotFound');
    return stored;
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.prefix + key }));
    } catch (error) {
      if (!isMissing(error)) throw this.unavailable('DELETE', key, error);
    }
  }

  /** Every object under `under` (relative to the prefix), a page of 1,000 at a time. */
  async *list(under: string): AsyncGenerator<ListedObject> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: this.prefix + under, ContinuationToken: token }),
        );
      } catch (error) {
        throw this.unavailable('LIST', under, error);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(this.prefix)) continue;
        yield { key: object.Key.slice(this.prefix.length), size: object.Size ?? 0, modifiedMs: object.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /**
   * Proves at start that the bucket answers and takes writes (a small object put and deleted), so
   * a wrong LIGHTBOX_STORAGE, endpoint or credentials is one line at start, not a failure at the
   * first upload.
   */
  async checkWritable(probeKey: string): Promise<void> {
    const where = `${this.config.location}${this.config.endpoint === undefined ? '' : ` at ${this.config.endpoint}`}`;
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.config.bucket, Key: this.prefix + probeKey, Body: 'lightbox' }));
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.prefix + probeKey }));
    } catch (error) {
      const name = reasonOf(error);
      if (name === 'NoSuchBucket') throw new ConfigError('LIGHTBOX_STORAGE', `${where}: the bucket ${this.config.bucket} does not exist`);
      if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'CredentialsProviderError', '403'].includes(name)) {
        throw new ConfigError(
          'AWS_ACCESS_KEY_ID',
          `${where} refused these credentials (${name}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to a key that may read and write the bucket`,
        );
      }
      throw new ConfigError(
        this.config.endpoint === undefined ? 'LIGHTBOX_STORAGE' : 'LIGHTBOX_S3_ENDPOINT',
        `${where} did not take a test write (${name}): check the address, the bucket and the network`,
      );
    }
  }

  close(): void {
    this.client.destroy();
  }

  private unavailable(operation: string, key: string, error: unknown): StorageUnavailableError {
    const reason = reasonOf(error);
    return new StorageUnavailableError(`${this.config.location}: ${operation} ${key} failed (${reason})`, reason);
  }
}

function isMissing(error: unknown): boolean {
  if (error instanceof S3ServiceException) {
    return error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404;
  }
  return false;
}

/** A short name for what went wrong: the S3 error's name, the network error's code, or the HTTP status. */
function reasonOf(error: unknown): string {
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode;
    return error.name === 'Unknown' || error.name === 'UnknownError' ? String(status ?? 'unknown') : error.name;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  return (error as Error | undefined)?.name ?? 'unknown';
}
