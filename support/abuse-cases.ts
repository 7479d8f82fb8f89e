/**
 * The requests of the abuse suite that are one exchange each: malformed, oversized, pipelined, odd
 * methods, traversal and percent-encoded paths, HTTP/1.0 and other versions, absurd Range headers, each
 * with the answer the server owes it.
 */
import { exchange, type Exchange } from './abuse-clients.js';

export interface RequestCase {
  category: 'oversized' | 'malformed' | 'version' | 'method' | 'path' | 'range' | 'pipelined';
  name: string;
  /** Sent in one write. */
  request: string;
  /** The statuses of the responses, in order. */
  statuses: number[];
  /** 'closed': the server must close the connection; 'open': a live stream keeps it open. */
  connection: 'closed' | 'open';
  /** Something the response heads must say. */
  head?: RegExp;
  /** Something they must not. */
  notHead?: RegExp;
}

const get = (path: string, headers = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`;

function cases(): RequestCase[] {
  const list: RequestCase[] = [];
  const add = (
    category: RequestCase['category'],
    name: string,
    request: string,
    statuses: number[],
    connection: RequestCase['connection'] = 'closed',
    more: Pick<RequestCase, 'head' | 'notHead'> = {},
  ): void => void list.push({ category, name, request, statuses, connection, ...more });

  add('oversized', 'a 20 KB header', get('/live.mkv', `X-Big: ${'a'.repeat(20_000)}\r\n`), [431]);
  add('oversized', 'a 20 KB URL', get(`/${'a'.repeat(20_000)}`), [431]);
  const many = Array.from({ length: 3000 }, (_, i) => `X-${i}: ${i}\r\n`).join('');
  add('oversized', '3000 headers', get('/status', many), [431]);

  add('malformed', 'binary garbage', '\x00\x01\x02\xff garbage\r\n\r\n', [400]);
  add('malformed', 'a header line without a colon', get('/status', 'Bad Header\r\n'), [400]);
  add('malformed', 'a control character in a header', get('/status', 'X-Bad: a\x01b\r\n'), [400]);
  add(
    'malformed',
    'Content-Length and chunked',
    get('/', 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n'),
    [400],
  );
  add('malformed', 'a negative Content-Length', get('/', 'Content-Length: -1\r\n'), [400]);
  add('malformed', 'two Content-Lengths', get('/', 'Content-Length: 1\r\nContent-Length: 2\r\n'), [400]);
  add('malformed', 'a 23-digit Content-Length', get('/', `Content-Length: ${'9'.repeat(23)}\r\n`), [400]);
  add('malformed', 'HTTP/1.1 without Host', 'GET /status HTTP/1.1\r\n\r\n', [400]);
  add('malformed', 'a space in the path', get('/a b'), [400]);
  add('malformed', 'bare LF line ends', 'GET /status HTTP/1.1\nHost: x\n\n', [400]);
  add('malformed', 'a lower-case method', 'get /status HTTP/1.1\r\nHost: x\r\n\r\n', [400]);
  add('malformed', 'an unknown method', 'FOO /live.mkv HTTP/1.1\r\nHost: x\r\n\r\n', [400]);

  add('version', 'HTTP/2.0 in an HTTP/1 request line', 'GET /live.mkv HTTP/2.0\r\n\r\n', [505]);
  add('version', 'HTTP/0.9 (no version)', 'GET /live.mkv\r\n\r\n', [505]);
  add('version', 'the HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', [400]);
  add(
    'version',
    'HTTP/1.0 stream: unframed, ended by the close',
    'GET /live.mkv HTTP/1.0\r\n\r\n',
    [200],
    'open',
    {
      head: /Content-Type: video\/x-matroska/,
      notHead: /Transfer-Encoding|Content-Length/,
    },
  );
  add('version', 'HTTP/1.0 /status, closed after it', 'GET /status HTTP/1.0\r\n\r\n', [200]);
  add('version', 'HTTP/1.0 HEAD /', 'HEAD / HTTP/1.0\r\n\r\n', [200], 'closed', {
    head: /Content-Security-Policy/,
  });

  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND']) {
    add(
      'method',
      method,
      `${method} /live.mkv HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`,
      [405],
      'closed',
      {
        head: /\r\nAllow: GET, HEAD\r\n/,
      },
    );
  }
  add(
    'method',
    'a refused POST announcing 100 MB',
    'POST /live.mkv HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nab',
    [405],
  );
  add(
    'method',
    'Upgrade: websocket (ignored: the stream)',
    get('/live.mkv', 'Upgrade: websocket\r\nConnection: Upgrade\r\n'),
    [200],
    'open',
  );
  // CONNECT is handed to the server's 'connect' listeners; with none, Node closes the socket.
  add('method', 'CONNECT', 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n', []);

  for (const path of [
    '/../live.mkv',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/..%2f..%2f..%2fetc%2fpasswd',
    '/live.mkv/../status',
    '/..\\..\\windows\\win.ini',
    '//live.mkv',
    '/./live.mkv',
    '/live%2emkv',
    '/LIVE.MKV',
    '/live.mkv%00',
    '/package.json',
    '/etc/passwd',
    'http://127.0.0.1/etc/passwd',
  ]) {
    add('path', path, get(path), [404], 'closed', { notHead: /Content-Type: (video|application\/json)/ });
  }
  add('path', 'OPTIONS *', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', [404]);

  const range = (value: string): string => get('/live.mkv', `Range: ${value}\r\n`);
  add('range', 'bytes=0- (the live stream)', range('bytes=0-'), [200], 'open');
  // A server must accept the absolute form too (RFC 9112 §3.2.2), though clients send it to proxies.
  add('path', 'absolute form http://HOST/live.mkv', get('http://127.0.0.1/live.mkv'), [200], 'open');
  for (const value of ['bytes=500-', 'bytes=0-0', 'bytes=-500', `bytes=${'9'.repeat(23)}-`, 'bytes=-']) {
    add('range', value, range(value), [416], 'closed', { head: /Content-Range: bytes \*\/\*/ });
  }
  // A Range header the server cannot parse is ignored (RFC 9110 §14.2): the live stream.
  for (const value of ['bytes=0-,0-', 'bytes=abc', 'items=0-', `bytes=${'0-1,'.repeat(1500)}`]) {
    add('range', value.length > 40 ? '1500 ranges' : value, range(value), [200], 'open');
  }

  add(
    'pipelined',
    '/status, HEAD /live.mkv, a 404: in order',
    get('/status') + 'HEAD /live.mkv HTTP/1.1\r\nHost: x\r\n\r\n' + get('/nope'),
    [200, 200, 404],
  );
  add(
    'pipelined',
    '100 HEAD /status in one write',
    'HEAD /status HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(99) +
      'HEAD /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    Array<number>(100).fill(200),
  );
  add('pipelined', 'three GET /live.mkv: one stream, then closed', get('/live.mkv').repeat(3), [200]);
  return list;
}

export const REQUEST_CASES: readonly RequestCase[] = cases();

export interface CaseOutcome {
  case: RequestCase;
  got: Exchange;
  /** What is wrong with the answer (empty: what the server owes). */
  problems: string[];
}

/** Runs every case, `parallel` at a time; a live stream is read for `streamMs`, then hung up. */
export async function runRequestCases(
  port: number,
  { parallel = 4, streamMs = 700 } = {},
): Promise<CaseOutcome[]> {
  const outcomes: CaseOutcome[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < REQUEST_CASES.length) {
      const c = REQUEST_CASES[next++];
      const got = await exchange(port, c.request, { timeoutMs: c.connection === 'open' ? streamMs : 3000 });
      const problems: string[] = [];
      if (got.statuses.join() !== c.statuses.join())
        problems.push(`statuses [${got.statuses}], not [${c.statuses}]`);
      if (c.connection === 'closed' && !got.closedByServer)
        problems.push('the server did not close the connection');
      if (c.connection === 'open' && got.closedByServer) problems.push('the server closed the stream');
      const heads = got.heads.join('\n');
      if (c.head && !c.head.test(heads)) problems.push(`no ${c.head} in the head`);
      if (c.notHead?.test(heads)) problems.push(`${c.notHead} in the head`);
      outcomes.push({ case: c, got, problems });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return outcomes;
}
