import type { Plugin } from 'graphql-yoga';
import { requestError } from './request-errors.ts';

/**
 * How deep a request's JSON may nest (its variables and extensions, counted from the request
 * object itself). The deepest input the schema takes is a few levels; JSON.parse is iterative,
 * but JSON.stringify, graphql-js's coercion and hashing recurse, and a few thousand levels
 * overflow the stack. Checked right after the JSON is parsed, before anything else walks it.
 */
export const MAX_JSON_NESTING = 32;

/** Whether a parsed JSON value nests arrays and objects more than `max` deep (walked without recursion). */
export function jsonNestsDeeperThan(value: unknown, max: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    const depth = next.depth + 1;
    if (depth > max) return true;
    for (const child of Object.values(next.value)) {
      if (typeof child === 'object' && child !== null) pending.push({ value: child, depth });
    }
  }
  return false;
}

export interface RequestBounds {
  /** Longest document, in UTF-8 bytes (LIGHTBOX_MAX_DOCUMENT_KB). */
  maxDocumentBytes: number;
}

interface BoundedParams {
  query?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

export interface BoundsRefusal {
  code: 'DOCUMENT_TOO_LARGE' | 'JSON_TOO_NESTED';
  message: string;
  extensions: Record<string, number>;
}

/** Why a request's parameters are refused before anything parses its document or walks its JSON; undefined when they are within bounds. */
export function boundsRefusal(params: BoundedParams, bounds: RequestBounds): BoundsRefusal | undefined {
  const { query } = params;
  // Bytes are at least the characters: count them only when the characters alone do not decide.
  if (typeof query === 'string' && query.length > bounds.maxDocumentBytes / 3 && Buffer.byteLength(query) > bounds.maxDocumentBytes) {
    return {
      code: 'DOCUMENT_TOO_LARGE',
      message: `The document is over ${bounds.maxDocumentBytes / 1024} KB (LIGHTBOX_MAX_DOCUMENT_KB); send a shorter one`,
      extensions: { maxBytes: bounds.maxDocumentBytes },
    };
  }
  // One level is the request object itself.
  if (jsonNestsDeeperThan(params.variables, MAX_JSON_NESTING - 1) || jsonNestsDeeperThan(params.extensions, MAX_JSON_NESTING - 1)) {
    return TOO_NESTED;
  }
  return undefined;
}

/** The one refusal of nesting, whichever path finds it (the upload route checks a multipart request's operations with it). */
export const TOO_NESTED: BoundsRefusal = {
  code: 'JSON_TOO_NESTED',
  message: `Variables and extensions may nest at most ${MAX_JSON_NESTING - 1} levels of arrays and objects`,
  extensions: { max: MAX_JSON_NESTING - 1 },
};

/** The GET parameter that should hold JSON and does not (Yoga's own reader would fail with a 500). */
function notJsonParameter(search: URLSearchParams): string | undefined {
  for (const name of ['variables', 'extensions']) {
    const value = search.get(name);
    if (value === null) continue;
    try {
      JSON.parse(value);
    } catch {
      return name;
    }
  }
  return undefined;
}

/**
 * Refuses, first of all Yoga's hooks (before a persisted query is looked up or registered), the
 * parameters `boundsRefusal` refuses, and a GET whose JSON parameters are not JSON.
 */
export function requestBoundsPlugin(bounds: RequestBounds): Plugin {
  return {
    onRequestParse({ request }) {
      if (request.method !== 'GET') return;
      const parameter = notJsonParameter(new URL(request.url).searchParams);
      if (parameter !== undefined) {
        throw requestError('BAD_REQUEST', `The "${parameter}" parameter is not JSON`, { withStatus: true });
      }
    },
    onParams({ params }) {
      const refusal = boundsRefusal(params, bounds);
      if (refusal !== undefined) throw requestError(refusal.code, refusal.message, { withStatus: true, extensions: refusal.extensions });
    },
  };
}
