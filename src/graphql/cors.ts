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
  const any = config.corsOrigins.includes('*');
  const listed = new Set(config.corsOrigins);
  return (request) => {
    const origin = request.headers.get('origin');
    if (origin === null || (!any && !listed.has(origin))) return false;
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

/** Whenever CORS is on, every answer depends on Origin, the refusals included: caches must know. */
export function varyOnOriginPlugin(config: Pick<GraphQLConfig, 'corsOrigins'>): Plugin {
  if (config.corsOrigins.length === 0) return {};
  return {
    onResponse({ response }) {
      response.headers.append('Vary', 'Origin');
    },
  };
}
