/**
 * Serves the built renderer on 127.0.0.1 for a browser test, through the app's own handler for its
 * mkvcast:// scheme (electron/app-protocol.ts): the page gets the same files, types and headers (CSP,
 * nosniff) as in the app. GET/HEAD only.
 */
import { createServer, type Server } from 'node:http';
import { APP_ORIGIN, appResponse } from '../electron/app-protocol.js';

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

export async function serveDirectory(root: string): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const path = req.url === '/' ? '/index.html' : (req.url ?? '/');
    appResponse(`${APP_ORIGIN}${path}`, root).then(
      async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        const body = Buffer.from(await response.arrayBuffer());
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
