/**
 * The HTTP side of WHEP (RFC 9725 §4): `POST …/whep` with an SDP offer answers 201 with the SDP
 * answer and the session's URL in `Location`; `DELETE` on that URL ends the session. Offers are
 * read whole, up to a small limit, before anything else happens.
 *
 * `GET` on a session's URL (our own, not in the RFC) answers 204 while it runs and 404 once it ended.
 * The server ends sessions on a new header (a new picture size), and werift closes a peer connection
 * without a DTLS close_notify, so the browser would only notice when ICE consent fails, about 6 s
 * later: the landing page asks instead as soon as its packets stop for a second.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebRtcError } from '../webrtc/errors.js';
import { MAX_OFFER_BYTES } from '../webrtc/offer.js';
import { parsePlayoutDelay, type PlayoutDelay, type WhepEndpoint } from '../webrtc/whep.js';
import { plainAnswer } from './plain.js';
import { clientName } from './user-agent.js';

export interface WhepRouteContext {
  endpoint: WhepEndpoint;
  /** The path of the WHEP endpoint, e.g. `/<token>/whep`. */
  basePath: string;
  /** The session id after `basePath/`, or null for the endpoint itself. */
  session: string | null;
  address: string;
  /** Why a new viewer from `address` would be refused now (the viewer caps), or null. */
  refusal: (address: string) => string | null;
  /** The CORS origin allowed, when the request comes from it; null otherwise. */
  corsOrigin: string | null;
}

const HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};
const RETRY_AFTER_SEC = 5;

function cors(origin: string | null): Record<string, string> {
  return origin
    ? {
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Expose-Headers': 'Location',
        Vary: 'Origin',
      }
    : {};
}

/** HTTP status for each WebRTC error a WHEP request can meet. */
function statusOf(error: WebRtcError): number {
  switch (error.code) {
    case 'NO_STREAM':
      return 503;
    case 'UNSUPPORTED_STREAM':
      return 409;
    default:
      return 400;
  }
}

export function serveWhep(req: IncomingMessage, res: ServerResponse, ctx: WhepRouteContext): void {
  const allow = ctx.session === null ? 'POST, OPTIONS' : 'GET, DELETE, OPTIONS';
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      ...HEADERS,
      Allow: allow,
      ...cors(ctx.corsOrigin),
      ...(ctx.corsOrigin
        ? {
            'Access-Control-Allow-Methods': allow,
            'Access-Control-Allow-Headers': 'Content-Type',
            'Access-Control-Max-Age': '600',
          }
        : {}),
      'Content-Length': 0,
    });
    return void res.end();
  }
  if (ctx.session !== null && req.method === 'GET') {
    if (!ctx.endpoint.has(ctx.session))
      return plainAnswer(res, 404, 'No such WHEP session (it ended, or never was).\n', cors(ctx.corsOrigin));
    res.writeHead(204, { ...HEADERS, ...cors(ctx.corsOrigin) });
    return void res.end();
  }
  if (ctx.session !== null) {
    if (req.method !== 'DELETE') {
      return plainAnswer(
        res,
        405,
        `Method ${req.method} is not allowed on a WHEP session; end it with DELETE.\n`,
        {
          Allow: allow,
        },
      );
    }
    if (!ctx.endpoint.end(ctx.session))
      return plainAnswer(res, 404, 'No such WHEP session (it ended, or never was).\n', cors(ctx.corsOrigin));
    res.writeHead(200, { ...HEADERS, ...cors(ctx.corsOrigin), 'Content-Length': 0 });
    return void res.end();
  }
  if (req.method !== 'POST') {
    return plainAnswer(res, 405, `Method ${req.method} is not allowed here; POST an SDP offer (WHEP).\n`, {
      Allow: allow,
    });
  }
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (type !== 'application/sdp') {
    return plainAnswer(
      res,
      415,
      `The offer must be sent as Content-Type: application/sdp (got "${type || 'none'}").\n`,
      cors(ctx.corsOrigin),
    );
  }
  // `?playout-delay=off|MIN-MAX`: this viewer's own (it only changes how its own browser renders).
  const asked = new URL(req.url ?? '/', 'http://host').searchParams.get('playout-delay');
  let own: { playoutDelay?: PlayoutDelay | null } = {};
  try {
    if (asked !== null) own = { playoutDelay: parsePlayoutDelay(asked) };
  } catch (error) {
    if (!(error instanceof WebRtcError)) throw error;
    return plainAnswer(res, 400, `${error.message} ${error.fix}\n`, cors(ctx.corsOrigin));
  }
  const refused = ctx.refusal(ctx.address);
  if (refused)
    return plainAnswer(res, 503, refused + '\n', { 'Retry-After': RETRY_AFTER_SEC, ...cors(ctx.corsOrigin) });
  // From here until the viewer is attached (or the offer fails) this request holds a place under the caps.
  const release = ctx.endpoint.reserve(ctx.address);
  res.once('close', release);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_OFFER_BYTES) {
    return plainAnswer(
      res,
      413,
      `The offer is ${declared} bytes, over the ${MAX_OFFER_BYTES}-byte limit.\n`,
      cors(ctx.corsOrigin),
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_OFFER_BYTES && !done) {
      done = true;
      plainAnswer(res, 413, `The offer is over the ${MAX_OFFER_BYTES}-byte limit.\n`, cors(ctx.corsOrigin));
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (done) return;
    done = true;
    const userAgent = String(req.headers['user-agent'] ?? '').slice(0, 256);
    ctx.endpoint
      .answer(
        Buffer.concat(chunks).toString('utf8'),
        {
          address: ctx.address,
          client: clientName(userAgent),
          userAgent,
        },
        own,
      )
      .then(({ id, sdp }) => {
        release(); // attached: the Publisher counts this viewer now
        if (res.destroyed) {
          // The client left while the answer was being made: nobody will ever DELETE this session.
          ctx.endpoint.end(id);
          return;
        }
        res.writeHead(201, {
          ...HEADERS,
          ...cors(ctx.corsOrigin),
          'Content-Type': 'application/sdp',
          Location: `${ctx.basePath}/${id}`,
          'Content-Length': Buffer.byteLength(sdp),
        });
        res.end(sdp);
      })
      .catch((error: unknown) => {
        release();
        if (error instanceof WebRtcError) {
          return plainAnswer(res, statusOf(error), `${error.message} ${error.fix}\n`, cors(ctx.corsOrigin));
        }
        plainAnswer(
          res,
          500,
          `The WebRTC session could not be made: ${String(error)}\n`,
          cors(ctx.corsOrigin),
        );
      });
  });
}
