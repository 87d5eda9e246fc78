import type { Plugin } from 'graphql-yoga';
import { ERRORS } from '../errors.ts';
import { requestError } from './request-errors.ts';

/** Headers a browser cannot add to a cross-site request without a CORS preflight. */
export const PREFLIGHT_HEADERS = ['x-graphql-yoga-csrf', 'graphql-preflight', 'apollo-require-preflight'];
/** Bodies a browser form or a no-cors fetch can send without a preflight. */
const SIMPLE_CONTENT_TYPES = ['multipart/form-data', 'application/x-www-form-urlencoded', 'text/plain'];

/**
 * CSRF guard scoped to what a browser can forge: a POST with a "simple" content type must
 * carry a header that forces a CORS preflight. JSON POSTs already force one, and plain GET
 * queries stay plain so browsers and CDNs can cache them. (Yoga's stock plugin blocks GETs too.)
 */
export function csrfPlugin(): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (request.method !== 'POST') return;
      const contentType = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      const simple = contentType === '' || SIMPLE_CONTENT_TYPES.includes(contentType);
      if (!simple || PREFLIGHT_HEADERS.some((name) => request.headers.has(name))) return;
      const error = requestError(
        'CSRF_PREVENTED',
        `This POST could be forged by another site: send a JSON body, or add one of the headers ${PREFLIGHT_HEADERS.join(', ')}`,
      );
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [error.toJSON()] }), {
          status: ERRORS.CSRF_PREVENTED.status,
          headers: { 'content-type': 'application/json; charset=utf-8' },
        }),
      );
    },
  };
}
