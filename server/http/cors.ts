/**
 * Cross-origin reads. None by default: `mkvcast serve` has no token unless asked, so a `*` would let any
 * web page that someone on the LAN opens read /status and the stream through their browser. `--cors
 * ORIGIN` lets exactly one origin (a page that embeds the stream) read them.
 */

export class CorsOriginError extends Error {
  readonly code = 'BAD_CORS_ORIGIN';
  readonly fix = "Give an origin such as 'http://192.168.1.5:3000' (scheme, host and port, no path).";
}

/** `value` as a canonical origin (`http://host:port`), or a CorsOriginError. */
export function parseCorsOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CorsOriginError(`'${value}' is not an origin.`);
  }
  const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !bare)
    throw new CorsOriginError(`'${value}' is not an origin (http:// or https://, a host, maybe a port).`);
  return url.origin;
}

/** The headers of a response that `allowed` may read (nothing for any other Origin, or none at all). */
export function corsHeaders(
  allowed: string | null,
  requestOrigin: string | undefined,
): Record<string, string> {
  if (!allowed) return {};
  // Vary on every answer: a cache must not hand the allowed origin's answer to another.
  if (requestOrigin !== allowed) return { Vary: 'Origin' };
  return { 'Access-Control-Allow-Origin': allowed, Vary: 'Origin' };
}

/** The answer to a preflight (OPTIONS) from the allowed origin: GET and HEAD, with a Range header. */
export function preflightHeaders(allowed: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': allowed,
    'Access-Control-Allow-Methods': 'GET, HEAD',
    'Access-Control-Allow-Headers': 'Range',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  };
}
