/**
 * Every error code a client or an operator can see, declared once with who sees it and how:
 * `status` is the HTTP status a request failing with it gets, `exitCode` what the command line
 * exits with. Callers throw the classes below and match on `code`, never on message text.
 */
export const ERRORS = {
  NOT_FOUND: { status: 404, audience: 'client', description: 'The id names nothing the caller may see (missing and hidden look alike).' },
  VALIDATION: { status: 400, audience: 'client', description: 'An argument is out of bounds or inconsistent.' },
  FORBIDDEN: { status: 403, audience: 'client', description: 'Only the admin may do this: send "Authorization: Bearer <token>".' },
  CONFLICT: { status: 409, audience: 'client', description: 'The request is valid but clashes with the current state.' },
  UNSUPPORTED_MEDIA: { status: 415, audience: 'client', description: 'The file is not an image format Lightbox accepts.' },
  TOO_LARGE: { status: 413, audience: 'client', description: 'The file is larger than the upload limit.' },
  INVALID_IMAGE: { status: 422, audience: 'client', description: 'The file claims to be an image but cannot be read or decoded.' },
  INVALID_URL: { status: 400, audience: 'client', description: 'Not an http(s) URL an import may fetch.' },
  FORBIDDEN_ADDRESS: {
    status: 403,
    audience: 'client',
    description: 'The URL, or a redirect, leads to an address imports may not reach (loopback, private, link-local).',
  },
  FETCH_FAILED: { status: 502, audience: 'client', description: 'The remote server could not be reached or did not answer 200.' },
  UNAUTHENTICATED: { status: 401, audience: 'client', description: 'An Authorization header was sent and it is not valid.' },
  CSRF_PREVENTED: {
    status: 403,
    audience: 'client',
    description: 'A POST a browser could forge without a preflight: send JSON, or a preflight-forcing header.',
  },
  QUERY_TOO_NESTED: {
    status: 400,
    audience: 'client',
    description: 'The document nests brackets deeper than any query the schema allows; refused before parsing.',
  },
  INVALID_ID: {
    status: 400,
    audience: 'client',
    description: 'Not a global id of the type asked for. GraphQL takes global ids (as it returns them), not the public id in an image URL.',
  },
  INVALID_CURSOR: {
    status: 400,
    audience: 'client',
    description: 'An after/before cursor this server did not hand out (or handed out under another server secret).',
  },
  DOCUMENT_TOO_LARGE: {
    status: 413,
    audience: 'client',
    description: 'The GraphQL document is longer than LIGHTBOX_MAX_DOCUMENT_KB (64 KB unless set); refused before parsing.',
  },
  JSON_TOO_NESTED: {
    status: 400,
    audience: 'client',
    description: 'Variables or extensions nest arrays and objects deeper than 32 levels; refused before anything reads them.',
  },
  BODY_TIMEOUT: {
    status: 408,
    audience: 'client',
    description: 'The request body did not arrive in time (10 s without a byte, or 30 s in all for a GraphQL JSON body).',
  },
  QUERY_TOO_COSTLY: {
    status: 400,
    audience: 'client',
    description: 'The estimated cost of the query (items × fields, by depth) is over the limit; ask for less per request.',
  },
  QUERY_TOO_DEEP: { status: 400, audience: 'client', description: 'The query selects fields nested deeper than the limit.' },
  TOO_MANY_ALIASES: { status: 400, audience: 'client', description: 'The query uses more aliases than the limit.' },
  TOO_MANY_TOKENS: { status: 400, audience: 'client', description: 'The document is longer (in tokens) than the limit.' },
  PAGE_SIZE_LIMIT: { status: 400, audience: 'client', description: 'A connection was asked for more items than a page holds.' },
  BODY_TOO_LARGE: {
    status: 413,
    audience: 'client',
    description: 'A GraphQL request body over 1 MB (uploads, as multipart requests, have their own limit).',
  },
  LENGTH_REQUIRED: { status: 411, audience: 'client', description: 'A GraphQL POST must say its Content-Length.' },
  SERVER_BUSY: {
    status: 503,
    audience: 'client',
    description: 'Too many GraphQL requests are in progress; retry after the Retry-After delay.',
  },
  BAD_REQUEST: {
    status: 400,
    audience: 'client',
    description:
      'The request cannot be read: a GET parameter that should be JSON is not, or a multipart body off the GraphQL multipart request spec.',
  },
  PERSISTED_QUERY_NOT_FOUND: {
    status: 200,
    audience: 'client',
    description:
      'The hash names no persisted query this server knows: send the query with its hash once (Apollo’s automatic persisted queries).',
  },
  PERSISTED_QUERY_MISMATCH: {
    status: 400,
    audience: 'client',
    description: 'The persisted query hash is not the SHA-256 of the query sent with it.',
  },
  PERSISTED_QUERY_NOT_SUPPORTED: {
    status: 400,
    audience: 'client',
    description: 'A persistedQuery extension other than version 1 with a hex SHA-256 hash.',
  },
  DOCUMENT_NOT_TRUSTED: {
    status: 400,
    audience: 'client',
    description:
      'LIGHTBOX_TRUSTED_DOCUMENTS=only: this server runs only the documents of its trusted manifests; send one by its hash (extensions.persistedQuery.sha256Hash).',
  },
  SHARE_LINK_NOT_FOUND: {
    status: 404,
    audience: 'client',
    description: 'The X-Lightbox-Share token or credential names no live share link: unknown, revoked and expired look alike.',
  },
  SHARE_PASSWORD_REQUIRED: {
    status: 401,
    audience: 'client',
    description: 'The share link has a password: unlockShareLink gives a credential to send in X-Lightbox-Share instead of the token.',
  },
  WRONG_PASSWORD: { status: 401, audience: 'client', description: 'The password does not unlock this share link.' },
  RATE_LIMITED: {
    status: 429,
    audience: 'client',
    description: 'Too many wrong passwords for this link or from this address: retry after retryAfterSeconds.',
  },
  STORAGE_UNAVAILABLE: {
    status: 503,
    audience: 'client',
    description: 'The object store holding the photos (LIGHTBOX_STORAGE) did not answer, or refused; retry after the Retry-After delay.',
  },
  RENDER_BUSY: { status: 503, audience: 'client', description: 'Too many images are being rendered; retry after the Retry-After delay.' },
  CONFIG: { exitCode: 1, audience: 'operator', description: 'An environment variable is invalid, or the data dir is unusable.' },
  USAGE: { exitCode: 2, audience: 'operator', description: 'The command line is wrong.' },
  DATA_DIR_IN_USE: { exitCode: 1, audience: 'operator', description: 'Another Lightbox server is running on this data dir.' },
  STORAGE_COPY: {
    exitCode: 1,
    audience: 'operator',
    description: 'A file could not be copied whole from one storage to the other (`lightbox storage migrate`); nothing was switched.',
  },
  IMPORT_SOURCE: { exitCode: 1, audience: 'operator', description: 'The folder to import is missing, not a folder, or unreadable.' },
} as const satisfies Record<string, { audience: 'client' | 'operator'; description: string; status?: number; exitCode?: number }>;

export type ErrorCode = keyof typeof ERRORS;

/** The codes a GraphQL client can receive, in a mutation result or in `extensions.code`. */
export const CLIENT_ERROR_CODES = (Object.keys(ERRORS) as ErrorCode[]).filter((code) => ERRORS[code].audience === 'client');
export type ClientErrorCode = {
  [Code in ErrorCode]: (typeof ERRORS)[Code]['audience'] extends 'client' ? Code : never;
}[ErrorCode];

export class LightboxError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The thing named does not exist, or the caller may not see it: the two are not told apart. */
export class NotFoundError extends LightboxError {
  constructor(
    readonly what: 'Photo' | 'Album' | 'ShareLink',
    readonly id: string,
  ) {
    super('NOT_FOUND', `${what} not found`);
  }
}

/** An argument is out of bounds or inconsistent; `field` names the argument. */
export class ValidationError extends LightboxError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('VALIDATION', message);
  }
}

export class ForbiddenError extends LightboxError {
  constructor(message = 'This needs the admin token: send "Authorization: Bearer <token>"') {
    super('FORBIDDEN', message);
  }
}

export class ConflictError extends LightboxError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

/** A credential was presented and it is wrong: never silently treated as anonymous. */
export class AuthenticationError extends LightboxError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}

/** A configuration problem a user can fix: printed as one line naming the variable, never as a stack trace. */
export class ConfigError extends LightboxError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super('CONFIG', `${variable}: ${message}`);
  }
}

/** No live share link has this token or credential: unknown, revoked and expired look alike. */
export class ShareLinkNotFoundError extends LightboxError {
  constructor() {
    super('SHARE_LINK_NOT_FOUND', 'This share link does not exist, or it was revoked or has expired');
  }
}

/** A share link's password was tried and is wrong. */
export class WrongPasswordError extends LightboxError {
  constructor() {
    super('WRONG_PASSWORD', 'That password does not unlock this share link');
  }
}

/** Too many attempts: nothing is tried until `retryAfterSeconds` have passed. */
export class RateLimitedError extends LightboxError {
  constructor(readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', `Too many wrong passwords; retry in ${retryAfterSeconds} s`);
  }
}

/**
 * The bucket (LIGHTBOX_STORAGE) failed: unreachable, a 5xx, refused credentials. Never a reason to
 * say a photo is missing: the image route answers 503 with Retry-After, an upload fails as a whole.
 */
export class StorageUnavailableError extends LightboxError {
  constructor(
    message: string,
    /** The S3 error's name or the network error's code, for the log line. */
    readonly reason: string,
  ) {
    super('STORAGE_UNAVAILABLE', message);
  }
}

/** The codes a URL import can fail with before any byte is stored. */
export type FetchFailureCode = Extract<ErrorCode, 'INVALID_URL' | 'FORBIDDEN_ADDRESS' | 'FETCH_FAILED' | 'TOO_LARGE'>;

export class UrlFetchError extends LightboxError {
  constructor(
    override readonly code: FetchFailureCode,
    message: string,
  ) {
    super(code, message);
  }
}

/** The first line of an error's message, bounded: what a failure reason or a log line should carry. */
export function errorSummary(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? message).slice(0, 500);
}

/** True when `error` is ours and carries `code`. */
export function hasErrorCode(error: unknown, code: ErrorCode): error is LightboxError {
  return error instanceof LightboxError && error.code === code;
}
