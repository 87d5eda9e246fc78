import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Busboy, type BusboyInstance } from '@fastify/busboy';
import { LightboxError } from '../errors.ts';
import { DEFAULT_MAX_BYTES, type IngestDeps, stageInput, tooLarge } from '../processing/ingest.ts';
import type { StagedUpload } from '../processing/staged-upload.ts';

export interface ParsedUploadRequest {
  /** The GraphQL request with each file replaced by a token naming it in `uploads`. */
  operations: unknown;
  uploads: Map<string, StagedUpload>;
}

/** The multipart body does not follow the GraphQL multipart request spec. */
function badRequest(message: string): LightboxError {
  return new LightboxError('BAD_REQUEST', message);
}

const MAX_FILES = 100;
const MAX_FIELD_BYTES = 1024 * 1024;

function setPath(target: unknown, path: string, value: string): void {
  const keys = path.split('.');
  let node = target as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    const next = node?.[key];
    if (typeof next !== 'object' || next === null) throw badRequest(`map names a path that is not in operations: ${path}`);
    node = next as Record<string, unknown>;
  }
  const last = keys.at(-1) as string;
  if (!(last in node) || node[last] !== null) throw badRequest(`map must point at null variables: ${path}`);
  node[last] = value;
}

/** Removes the temp files of uploads no resolver consumed. */
export async function discardUploads(uploads: Map<string, StagedUpload>): Promise<void> {
  await Promise.all([...uploads.values()].map((upload) => ('staged' in upload ? rm(upload.staged.temp, { force: true }) : undefined)));
}

/**
 * Reads a GraphQL multipart request (operations, map, then the files), streaming each file to
 * a temp file of the data dir while hashing it: an upload is never held in memory whole.
 */
export function parseUploadRequest(req: IncomingMessage, deps: IngestDeps): Promise<ParsedUploadRequest> {
  const maxBytes = deps.maxBytes ?? DEFAULT_MAX_BYTES;
  const uploads = new Map<string, StagedUpload>();
  const tokens = new Map<string, string>();
  const pending: Promise<void>[] = [];
  let operations: unknown;
  let map: Record<string, string[]> | undefined;
  const nonce = randomBytes(9).toString('base64url');

  return new Promise((resolve, reject) => {
    let parser: BusboyInstance;
    try {
      parser = Busboy({
        headers: req.headers as { 'content-type': string },
        limits: { files: MAX_FILES, fileSize: maxBytes, fields: 10, fieldSize: MAX_FIELD_BYTES },
      });
    } catch (error) {
      reject(badRequest((error as Error).message));
      return;
    }
    const files = new Set<NodeJS.ReadableStream & { destroy(error?: Error): void }>();
    const fail = (error: Error) => {
      req.unpipe(parser);
      req.resume();
      // A file still arriving would otherwise wait forever for bytes that will never come, holding its temp file open.
      for (const file of files) file.destroy(error);
      Promise.allSettled(pending).then(() => discardUploads(uploads).then(() => reject(error)));
    };
    // The client went away mid-body (or the connection broke): nothing more will arrive.
    req.once('close', () => {
      if (!req.complete) fail(badRequest('the request was aborted before its body was complete'));
    });
    parser.on('field', (name, value, nameTruncated, valueTruncated) => {
      if (valueTruncated || nameTruncated) return fail(badRequest(`the ${name} field is too long`));
      try {
        if (name === 'operations') operations = JSON.parse(value);
        else if (name === 'map') {
          map = JSON.parse(value) as Record<string, string[]>;
          for (const key of Object.keys(map)) tokens.set(key, `upload:${nonce}:${key}`);
        }
      } catch {
        fail(badRequest(`the ${name} field is not JSON`));
      }
    });
    parser.on('file', (name, stream, filename) => {
      const token = tokens.get(name);
      if (operations === undefined || map === undefined || token === undefined) {
        stream.resume();
        if (map === undefined) fail(badRequest('operations and map must come before the files'));
        return;
      }
      files.add(stream);
      pending.push(
        stageInput({ ...deps, maxBytes: Number.POSITIVE_INFINITY }, stream).then(async (result) => {
          files.delete(stream);
          if ('failed' in result) {
            uploads.set(token, { filename, failed: result.failed });
          } else if (stream.truncated) {
            await rm(result.temp, { force: true });
            uploads.set(token, { filename, failed: tooLarge(maxBytes) });
          } else {
            uploads.set(token, { filename, staged: result });
          }
        }),
      );
    });
    parser.on('error', (error: unknown) => fail(badRequest(error instanceof Error ? error.message : String(error))));
    parser.on('finish', () => {
      Promise.all(pending).then(() => {
        try {
          if (operations === undefined || map === undefined) throw badRequest('a multipart request needs operations and map fields');
          for (const [key, paths] of Object.entries(map)) {
            const token = tokens.get(key) as string;
            if (!uploads.has(token)) throw badRequest(`map names file ${key}, which was not sent`);
            for (const path of paths) setPath(operations, path, token);
          }
          resolve({ operations, uploads });
        } catch (error) {
          discardUploads(uploads).then(() => reject(error));
        }
      }, fail);
    });
    req.pipe(parser);
  });
}
