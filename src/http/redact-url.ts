/** How much of a share token a log keeps: enough for a person to tell two links apart, far too little to open one. */
const TOKEN_PREFIX = 4;

/** `/s/<token>`: the token is everything up to the next `/` or the query, whatever it looks like. */
const SHARE_TOKEN_SEGMENT = /^(\/s\/)([^/?]*)/;
/** Query parameters that are credentials while they last: a signed image URL's `sig`, a share link's `unlock`. */
const CREDENTIAL_PARAMETER = /([?&](?:sig|unlock)=)[^&]*/g;

/**
 * A request URL as a log may keep it. A share link's token, its unlock credential and an image
 * URL's signature each open something for whoever reads them, and logs are read by more people,
 * for longer, than the links were meant for: the route and the rest of the query stay, so a
 * line still says what was asked.
 */
export function redactCredentials(url: string): string {
  return url.replace(SHARE_TOKEN_SEGMENT, redactToken).replace(CREDENTIAL_PARAMETER, '$1[redacted]');
}

function redactToken(_whole: string, prefix: string, token: string): string {
  // A segment no longer than the prefix would be kept whole: keep nothing of it.
  const kept = token.length > TOKEN_PREFIX * 2 ? token.slice(0, TOKEN_PREFIX) : '';
  return `${prefix}${kept}[redacted]`;
}
