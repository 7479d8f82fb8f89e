import path from 'node:path';

/**
 * The input as /status and the log show it, safe to show anyone who can see them: a URL without its
 * user, password, query or fragment (`http://alice:pw@cam/x?api_key=K` is `http://cam/x`), a file by its
 * name (`file demo.mp4`, not where it lives on this machine).
 */
export function describeInput(input: string | undefined): string {
  if (input === undefined || input === '-') return 'stdin';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) return safeUrl(input);
  return `file ${path.basename(input)}`;
}

/** `scheme://host[:port]/path` of a URL: no userinfo, no query, no fragment. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.host) return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    // Not a WHATWG URL (ffmpeg takes more than that): cut the same parts out by hand below.
  }
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)/i.exec(url);
  if (!match) return url.replace(/[?#].*$/, '');
  const host = match[2].slice(match[2].lastIndexOf('@') + 1);
  return `${match[1]}${host}${match[3]}`;
}
