import type { ServerResponse } from 'node:http';

/** Headers every answer carries. */
export const SECURITY_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };

/** A short text answer (an error, a refusal), the same for the stream routes and WHEP. */
export function plainAnswer(
  res: ServerResponse,
  status: number,
  body: string,
  extra: Record<string, string | number> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...extra,
    // A refused request may come with a body nobody will read (POST with a large Content-Length):
    // closing the connection frees it now rather than after reading the body or a keep-alive timeout.
    ...(status >= 400 ? { Connection: 'close' } : {}),
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
