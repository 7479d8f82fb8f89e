/**
 * The window's own scheme, `mkvcast://app/`, serving the built renderer (renderer/dist) instead of
 * file:// (Electron security checklist item 18): the page gets a real origin, can reach no other file,
 * and the file:// fuse can be turned off. Pure (Node's fetch Response), so Node tests run it on the
 * real built files; electron/main.ts registers it with `protocol.handle`.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

export const APP_SCHEME = 'mkvcast';
export const APP_ORIGIN = `${APP_SCHEME}://app`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** Also sent as a header, so that it holds even for a file without the meta tag. Matches renderer/index.html. */
export const APP_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/** The file under `root` a request names, or null: another scheme or host, a path outside root, or a bad escape. */
export function appFilePath(requestUrl: string, root: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== 'app') return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return null;
  const base = resolve(root);
  const path = resolve(base, `.${pathname}`);
  return path.startsWith(base + sep) ? path : null;
}

function refuse(status: 403 | 404): Response {
  return new Response(status === 404 ? 'Not found' : 'Forbidden', {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
  });
}

/** Answers one request of the window: a file of the built renderer with its type and the CSP, or 403/404. */
export async function appResponse(requestUrl: string, root: string): Promise<Response> {
  const path = appFilePath(requestUrl, root);
  if (!path) return refuse(403);
  const type = TYPES[extname(path).toLowerCase()];
  if (!type) return refuse(404);
  try {
    if (!(await stat(path)).isFile()) return refuse(404);
    return new Response(await readFile(path), {
      headers: {
        'Content-Type': type,
        'Content-Security-Policy': APP_CSP,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
      },
    });
  } catch {
    return refuse(404);
  }
}
