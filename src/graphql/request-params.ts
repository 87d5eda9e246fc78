import { jsonNestsDeeperThan, MAX_JSON_NESTING } from './request-bounds.ts';

/** A GraphQL-over-HTTP request's parameters, as read before Yoga: from a GET's query string or a POST's JSON body. */
export interface RequestParams {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
  extensions?: unknown;
}

const PARAMETER_NAMES = new Set(['query', 'variables', 'operationName', 'extensions']);

/** Whether the request names no parameter but the four GraphQL over HTTP knows (Yoga refuses any other with a 400). */
export function onlyKnownParameters(params: RequestParams): boolean {
  for (const name in params) if (!PARAMETER_NAMES.has(name) && (params as Record<string, unknown>)[name] != null) return false;
  return true;
}

/**
 * What a request's extensions ask of the server: nothing (none sent, or an object no part of
 * Lightbox reads, such as the `clientLibrary` Apollo Client 4 sends with every operation), a
 * persisted query (APQ), or nothing Yoga accepts (not an object), which Yoga refuses.
 */
export function extensionsAsk(extensions: unknown): 'nothing' | 'persisted-query' | 'refusal' {
  if (extensions == null) return 'nothing';
  if (typeof extensions !== 'object' || Array.isArray(extensions)) return 'refusal';
  return 'persistedQuery' in extensions ? 'persisted-query' : 'nothing';
}

/**
 * A GET's parameters as Yoga reads them; undefined when its JSON parameters are not JSON, or
 * nest too deep to be walked safely (Yoga's to refuse, see request-bounds.ts).
 */
export function paramsOfQueryString(search: URLSearchParams): RequestParams | undefined {
  let params: RequestParams;
  try {
    params = {
      query: search.get('query') ?? undefined,
      variables: search.has('variables') ? JSON.parse(search.get('variables') as string) : undefined,
      operationName: search.get('operationName'),
      extensions: search.has('extensions') ? JSON.parse(search.get('extensions') as string) : undefined,
    };
  } catch {
    return undefined;
  }
  return jsonNestsDeeperThan(params, MAX_JSON_NESTING) ? undefined : params;
}

/** A POST's parameters; undefined when its body is not a JSON object, or nests too deep to be walked safely (Yoga's to refuse). */
export function paramsOfJsonBody(text: string): RequestParams | undefined {
  let params: unknown;
  try {
    params = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return undefined;
  return jsonNestsDeeperThan(params, MAX_JSON_NESTING) ? undefined : (params as RequestParams);
}
