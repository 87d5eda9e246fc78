import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { Agent } from 'undici';
import { UrlFetchError } from '../errors.ts';
import { isForbiddenAddress } from './special-addresses.ts';

export interface UrlFetchOptions {
  /** Host names (or host:port) allowed even when they resolve to private addresses. */
  allowHosts: ReadonlySet<string>;
  timeoutMs: number;
  maxRedirects: number;
  maxBytes: number;
  /** Ends the whole fetch, body included: the import's deadline, or its client leaving. */
  signal?: AbortSignal;
}

/**
 * An undici agent whose DNS lookup refuses forbidden addresses at connection time, for every
 * connection (redirects included), so a name cannot resolve differently between check and use.
 */
function guardedAgent(undici: typeof import('undici'), options: UrlFetchOptions, allowedHost: string): Agent {
  return new undici.Agent({
    connect: {
      timeout: options.timeoutMs,
      lookup: (
        hostname: string,
        lookupOptions: object,
        callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
      ) => {
        dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
          if (error) return callback(error, []);
          const list = addresses as LookupAddress[];
          if (!options.allowHosts.has(allowedHost) && list.some((entry) => isForbiddenAddress(entry.address))) {
            return callback(
              new UrlFetchError(
                'FORBIDDEN_ADDRESS',
                `${hostname} resolves to an address imports may not reach (list it in LIGHTBOX_IMPORT_ALLOW_HOSTS to allow it)`,
              ),
              [],
            );
          }
          const wantsAll = (lookupOptions as { all?: boolean }).all === true;
          if (wantsAll) return callback(null, list);
          const first = list[0] as LookupAddress;
          return callback(null, first.address, first.family);
        });
      },
    },
  });
}

export interface FetchedBody {
  body: NodeJS.ReadableStream & AsyncIterable<Buffer>;
  filename: string;
  close(): Promise<void>;
}

function filenameFrom(url: URL): string {
  const last = decodeURIComponent(url.pathname.split('/').pop() ?? '');
  return last.replace(/[^\w.-]+/g, '_').slice(0, 100) || 'download';
}

/** GETs an image URL: http(s) only, at most `maxRedirects` hops, each checked, bounded in time and size. */
export async function fetchImage(rawUrl: string, options: UrlFetchOptions): Promise<FetchedBody> {
  // Loaded here, not with the module: undici costs every server start 150 ms for a mutation few call.
  const undici = await import('undici');
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new UrlFetchError('INVALID_URL', 'not a URL');
  }
  for (let hop = 0; hop <= options.maxRedirects; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UrlFetchError('INVALID_URL', 'only http and https URLs can be imported');
    if (url.username || url.password) throw new UrlFetchError('INVALID_URL', 'URLs with credentials are refused');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const literal = isIP(host) !== 0;
    if (literal && !options.allowHosts.has(url.host) && !options.allowHosts.has(host) && isForbiddenAddress(host)) {
      throw new UrlFetchError(
        'FORBIDDEN_ADDRESS',
        `${host} is an address imports may not reach (list it in LIGHTBOX_IMPORT_ALLOW_HOSTS to allow it)`,
      );
    }
    const dispatcher = guardedAgent(undici, options, options.allowHosts.has(url.host) ? url.host : host);
    let response: Awaited<ReturnType<typeof undici.request>>;
    try {
      response = await undici.request(url, {
        dispatcher,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        signal: options.signal,
      });
    } catch (error) {
      await dispatcher.close();
      const cause = (error as { cause?: unknown }).cause ?? error;
      if (cause instanceof UrlFetchError) throw cause;
      throw new UrlFetchError('FETCH_FAILED', `could not fetch ${url.host}: ${(error as Error).message}`);
    }
    if (response.statusCode >= 300 && response.statusCode < 400 && response.headers.location) {
      await response.body.dump();
      await dispatcher.close();
      url = new URL(String(response.headers.location), url);
      continue;
    }
    if (response.statusCode !== 200) {
      await response.body.dump();
      await dispatcher.close();
      throw new UrlFetchError('FETCH_FAILED', `${url.host} answered ${response.statusCode}`);
    }
    const length = Number(response.headers['content-length']);
    if (Number.isFinite(length) && length > options.maxBytes) {
      response.body.destroy();
      await dispatcher.close();
      throw new UrlFetchError('TOO_LARGE', `larger than the ${options.maxBytes}-byte limit`);
    }
    return { body: response.body, filename: filenameFrom(url), close: () => dispatcher.close() };
  }
  throw new UrlFetchError('FETCH_FAILED', `more than ${options.maxRedirects} redirects`);
}
