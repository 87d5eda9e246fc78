import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ViewerCheck } from '../auth/viewer.ts';
import { mayUpload } from '../catalog/access.ts';
import type { IngestConfig } from '../config.ts';
import { hasErrorCode, LightboxError } from '../errors.ts';
import { PREFLIGHT_HEADERS } from '../graphql/csrf.ts';
import { jsonNestsDeeperThan, MAX_JSON_NESTING, TOO_NESTED } from '../graphql/request-bounds.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../storage/open-store.ts';
import { sendGraphQLError } from './graphql-error-response.ts';
import { discardUploads, type ParsedUploadRequest, parseUploadRequest } from './multipart-upload.ts';

export interface UploadAdmissionDeps {
  store: Store;
  ingest: IngestConfig;
  viewers: ViewerCheck;
  logger: Logger;
}

/**
 * The admit stage of a GraphQL multipart request, before Yoga (whose parser would hold every
 * file in memory): files stream to temp files, and the operation then runs as JSON with a
 * registry of the staged files in its context. Only the admin may upload, and that is checked
 * (by the same viewer check as every request) before a byte of the body is read. Undefined when
 * the request was refused (answered here); the caller discards the staged files once answered.
 */
export async function admitUpload(
  deps: UploadAdmissionDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<ParsedUploadRequest | undefined> {
  if (!PREFLIGHT_HEADERS.some((name) => req.headers[name] !== undefined)) {
    sendGraphQLError(res, 'CSRF_PREVENTED', `Uploads must carry one of the headers ${PREFLIGHT_HEADERS.join(', ')} (CSRF protection)`);
    req.resume();
    return undefined;
  }
  let allowed: boolean;
  try {
    allowed = mayUpload(deps.viewers.fromAuthorization(req.headers.authorization));
  } catch (error) {
    if (!hasErrorCode(error, 'UNAUTHENTICATED')) throw error;
    sendGraphQLError(res, 'UNAUTHENTICATED', `Not authenticated: ${error.message}`, { 'WWW-Authenticate': 'Bearer' });
    req.resume();
    return undefined;
  }
  if (!allowed) {
    sendGraphQLError(res, 'FORBIDDEN', 'Uploads need the admin token: send "Authorization: Bearer <token>"');
    req.resume();
    return undefined;
  }
  let parsed: ParsedUploadRequest;
  try {
    parsed = await parseUploadRequest(req, { db: deps.store.database.db, layout: deps.store.layout, maxBytes: deps.ingest.maxBytes });
  } catch (error) {
    const message = error instanceof LightboxError ? error.message : 'the multipart body could not be read';
    // Logged once every staged file of it is gone: an operator (and a test) can count refusals without polling.
    deps.logger.info({ reason: message }, 'multipart upload refused');
    sendGraphQLError(res, 'BAD_REQUEST', `Bad multipart request: ${message}`);
    return undefined;
  }
  // Before anything walks it (JSON.stringify recurses): the same refusal as a JSON body's.
  if (jsonNestsDeeperThan(parsed.operations, MAX_JSON_NESTING + 1)) {
    await discardUploads(parsed.uploads);
    sendGraphQLError(res, TOO_NESTED.code, TOO_NESTED.message, {}, TOO_NESTED.extensions);
    return undefined;
  }
  return parsed;
}
