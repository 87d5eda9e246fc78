import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ViewerCheck } from '../auth/viewer.ts';
import type { IngestConfig } from '../config.ts';
import { newSqlUsage } from '../db/sql-meter.ts';
import { hasErrorCode, LightboxError } from '../errors.ts';
import { PREFLIGHT_HEADERS } from '../graphql/csrf.ts';
import { jsonNestsDeeperThan, MAX_JSON_NESTING, TOO_NESTED } from '../graphql/request-bounds.ts';
import type { createGraphQLHandler } from '../graphql/yoga.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../storage/open-store.ts';
import { sendGraphQLError } from './graphql-error-response.ts';
import { discardUploads, parseUploadRequest } from './multipart-upload.ts';

export interface UploadRouteDeps {
  yoga: ReturnType<typeof createGraphQLHandler>;
  logger: Logger;
  store: Store;
  ingest: IngestConfig;
  viewers: ViewerCheck;
}

/**
 * GraphQL multipart requests, handled before Yoga (whose parser would hold every file in
 * memory): files stream to temp files, then the operation runs through Yoga as JSON with a
 * registry of the staged files in its context. Only the admin may upload, and that is checked
 * (by the same viewer check Yoga uses) before a byte of the body is read.
 */
export function createUploadRoute({ yoga, logger, store, ingest, viewers }: UploadRouteDeps) {
  const ingestDeps = { db: store.database.db, layout: store.layout, maxBytes: ingest.maxBytes };
  return async function handleUpload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!PREFLIGHT_HEADERS.some((name) => req.headers[name] !== undefined)) {
      sendGraphQLError(res, 'CSRF_PREVENTED', `Uploads must carry one of the headers ${PREFLIGHT_HEADERS.join(', ')} (CSRF protection)`);
      req.resume();
      return;
    }
    let admin: boolean;
    try {
      admin = viewers.fromAuthorization(req.headers.authorization).kind === 'admin';
    } catch (error) {
      if (!hasErrorCode(error, 'UNAUTHENTICATED')) throw error;
      sendGraphQLError(res, 'UNAUTHENTICATED', `Not authenticated: ${error.message}`, { 'WWW-Authenticate': 'Bearer' });
      req.resume();
      return;
    }
    if (!admin) {
      sendGraphQLError(res, 'FORBIDDEN', 'Uploads need the admin token: send "Authorization: Bearer <token>"');
      req.resume();
      return;
    }
    let parsed: Awaited<ReturnType<typeof parseUploadRequest>>;
    try {
      parsed = await parseUploadRequest(req, ingestDeps);
    } catch (error) {
      const message = error instanceof LightboxError ? error.message : 'the multipart body could not be read';
      // Logged once every staged file of it is gone: an operator (and a test) can count refusals without polling.
      logger.info({ reason: message }, 'multipart upload refused');
      sendGraphQLError(res, 'BAD_REQUEST', `Bad multipart request: ${message}`);
      return;
    }
    // Before anything walks it (JSON.stringify recurses): the same refusal as a JSON body's.
    if (jsonNestsDeeperThan(parsed.operations, MAX_JSON_NESTING + 1)) {
      await discardUploads(parsed.uploads);
      sendGraphQLError(res, TOO_NESTED.code, TOO_NESTED.message, {}, TOO_NESTED.extensions);
      return;
    }
    try {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: String(req.headers.accept ?? 'application/json'),
      };
      if (req.headers.authorization) headers.authorization = req.headers.authorization;
      if (req.headers.origin) headers.origin = req.headers.origin;
      const response = await yoga.fetch(
        `http://${req.headers.host ?? 'localhost'}/graphql`,
        { method: 'POST', headers, body: JSON.stringify(parsed.operations) },
        { req, res, uploads: parsed.uploads, sqlUsage: newSqlUsage() },
      );
      const body = Buffer.from(await response.arrayBuffer());
      const outgoing: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        outgoing[name] = value;
      });
      outgoing['content-length'] = String(body.length);
      res.writeHead(response.status, outgoing);
      res.end(body);
    } finally {
      await discardUploads(parsed.uploads);
    }
  };
}
