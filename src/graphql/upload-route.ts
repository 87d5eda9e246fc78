import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAdminAuthorization, tokenDigest } from '../auth/viewer.ts';
import type { IngestDeps } from '../processing/ingest.ts';
import { discardUploads, parseUploadRequest, UploadRequestError } from '../processing/upload-request.ts';
import { PREFLIGHT_HEADERS } from './csrf.ts';
import type { createGraphQLHandler } from './yoga.ts';

function sendGraphQLError(res: ServerResponse, status: number, message: string, code: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

export interface UploadRouteDeps {
  yoga: ReturnType<typeof createGraphQLHandler>;
  ingest: IngestDeps;
  adminToken: string;
}

/**
 * GraphQL multipart requests, handled before Yoga (whose parser would hold every file in
 * memory): files stream to temp files, then the operation runs through Yoga as JSON with a
 * registry of the staged files in its context. Only the admin may upload, and that is checked
 * before a byte of the body is read.
 */
export function createUploadRoute({ yoga, ingest, adminToken }: UploadRouteDeps) {
  const digest = tokenDigest(adminToken);
  return async function handleUpload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!PREFLIGHT_HEADERS.some((name) => req.headers[name] !== undefined)) {
      sendGraphQLError(
        res,
        403,
        `Uploads must carry one of the headers ${PREFLIGHT_HEADERS.join(', ')} (CSRF protection)`,
        'CSRF_PREVENTED',
      );
      req.resume();
      return;
    }
    if (!isAdminAuthorization(req.headers.authorization, digest)) {
      sendGraphQLError(res, 403, 'Uploads need the admin token: send "Authorization: Bearer <token>"', 'FORBIDDEN');
      req.resume();
      return;
    }
    let parsed: Awaited<ReturnType<typeof parseUploadRequest>>;
    try {
      parsed = await parseUploadRequest(req, ingest);
    } catch (error) {
      const message = error instanceof UploadRequestError ? error.message : 'the multipart body could not be read';
      sendGraphQLError(res, 400, `Bad multipart request: ${message}`, 'BAD_REQUEST');
      return;
    }
    try {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: String(req.headers.accept ?? 'application/json'),
      };
      if (req.headers.authorization) headers.authorization = req.headers.authorization;
      const response = await yoga.fetch(
        `http://${req.headers.host ?? 'localhost'}/graphql`,
        { method: 'POST', headers, body: JSON.stringify(parsed.operations) },
        { req, res, uploads: parsed.uploads },
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
