import type { CORSOptions, Plugin } from 'graphql-yoga';
import { SHARE_HEADER } from '../catalog/share-access.ts';
import type { GraphQLConfig } from '../config.ts';
import { PREFLIGHT_HEADERS } from './csrf.ts';

/**
 * Who may call the API from a page of another origin. None by default: authentication is a
 * header, so a cross-origin page needs CORS to send it, and gets it only when its origin is
 * listed. Credentials (cookies, HTTP auth) only when asked for: Lightbox uses neither.
 */
export function corsOptions(config: Pick<GraphQLConfig, 'corsOrigins' | 'corsCredentials'>): (request: Request) => CORSOptions | false {
  const allowed = corsFor(config);
  return (request) => allowed(request.headers.get('origin') ?? undefined) ?? false;
}

/** The CORS options for a caller of this origin, or undefined when its origin is not listed (or it sent none). */
function corsFor(
  config: Pick<GraphQLConfig, 'corsOrigins' | 'corsCredentials'>,
): (origin: string | undefined) => Exclude<CORSOptions, false> | undefined {
  const any = config.corsOrigins.includes('*');
  const listed = new Set(config.corsOrigins);
  return (origin) => {
    if (origin === undefined || (!any && !listed.has(origin))) return undefined;
    return {
      origin,
      credentials: config.corsCredentials,
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'authorization', 'accept', SHARE_HEADER, ...PREFLIGHT_HEADERS],
      exposedHeaders: ['etag', 'server-timing'],
      maxAge: 600,
    };
  };
}

/**
 * The CORS headers of an answer Yoga did not write (a stored or compiled one), for a caller of
 * this origin: the headers Yoga's CORS support writes for the same options.
 */
export function corsResponseHeaders(
  config: Pick<GraphQLConfig, 'corsOrigins' | 'corsCredentials'>,
): (origin: string | undefined) => Record<string, string> | undefined {
  const allowed = corsFor(config);
  return (origin) => {
    const options = allowed(origin);
    if (options === undefined) return undefined;
    const headers: Record<string, string> = {
      'access-control-allow-origin': String(options.origin),
      'access-control-allow-methods': (options.methods ?? []).join(', '),
      'access-control-allow-headers': (options.allowedHeaders ?? []).join(', '),
      'access-control-expose-headers': (options.exposedHeaders ?? []).join(', '),
      'access-control-max-age': String(options.maxAge),
    };
    if (options.credentials === true) headers['access-control-allow-credentials'] = 'true';
    return headers;
  };
}

/** Whenever CORS is on, every answer depends on Origin, the refusals included: caches must know. */
export function varyOnOriginPlugin(config: Pick<GraphQLConfig, 'corsOrigins'>): Plugin {
  if (config.corsOrigins.length === 0) return {};
  return {
    onResponse({ response }) {
      response.headers.append('Vary', 'Origin');
    },
  };
}
