import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  H264_TRACK,
  cluster,
  ebmlHead,
  info,
  liveSegmentStart,
  seededRandom,
  simpleBlock,
  tracks,
} from './ebml-builders.js';
import { ClusterScanner, clusterKey } from './cluster-scanner.js';

const random = seededRandom(7);
const payload = (bytes: number): Buffer<ArrayBuffer> =>
  Buffer.from(Array.from({ length: bytes }, () => (random() * 256) | 0));
const clusters = [0, 33, 67, 100].map((ts, i) => cluster(ts, simpleBlock(1, 0, i === 0, payload(300 + i))));
const matroska = Buffer.concat([ebmlHead(), liveSegmentStart(), info(), tracks(H264_TRACK), ...clusters]);
const firstClusterAt = matroska.length - Buffer.concat(clusters).length;

function chunkedBody(bytes: Buffer, pieces: number[]): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const size of pieces) {
    const piece = bytes.subarray(at, at + size);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
    at += size;
  }
  if (at < bytes.length) {
    const rest = bytes.subarray(at);
    parts.push(Buffer.from(`${rest.length.toString(16)}\r\n`), rest, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Feeds `response` in reads of 1–`maxRead` bytes, read i at time i; returns what the scanner saw. */
function scan(
  response: Buffer,
  maxRead: number,
): { first: bigint | null; ends: [string, bigint][]; error: string | null } {
  const ends: [string, bigint][] = [];
  let first: bigint | null = null;
  const scanner = new ClusterScanner({
    onFirstCluster: (ns) => (first = ns),
    onClusterEnd: (tail, ns) => ends.push([tail.toString('hex'), ns]),
  });
  let read = 0n;
  for (let at = 0; at < response.length; read++) {
    const size = 1 + Math.floor(random() * maxRead);
    scanner.push(response.subarray(at, at + size), read);
    at += size;
  }
  return { first, ends, error: scanner.error };
}

/** The keys of the Clusters in the stream, in order. */
function expectedKeys(): string[] {
  return clusters.map((c) => clusterKey(c));
}

for (const framing of ['close-delimited', 'chunked'] as const) {
  for (const maxRead of [1, 7, 4096]) {
    test(`finds every Cluster and its key in a ${framing} body read ${maxRead} bytes at most at a time`, () => {
      const head =
        'HTTP/1.1 200 OK\r\nContent-Type: video/x-matroska\r\n' +
        (framing === 'chunked' ? 'Transfer-Encoding: chunked\r\n' : '') +
        'Connection: close\r\n\r\n';
      const body =
        framing === 'chunked' ? chunkedBody(matroska, [5, firstClusterAt - 5, 200, 1, 1000]) : matroska;
      const result = scan(Buffer.concat([Buffer.from(head), body]), maxRead);
      assert.equal(result.error, null);
      assert.notEqual(result.first, null);
      assert.deepEqual(
        result.ends.map(([key]) => key),
        expectedKeys(),
      );
    });
  }
}

test('the first Cluster is reported at the read that carried its first byte', () => {
  const head = Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n');
  const response = Buffer.concat([head, matroska]);
  const splitAt = head.length + firstClusterAt + 1; // the ID's first byte in read 0, the rest in read 1
  const seen: bigint[] = [];
  const scanner = new ClusterScanner({ onFirstCluster: (ns) => seen.push(ns) });
  scanner.push(response.subarray(0, splitAt), 0n);
  scanner.push(response.subarray(splitAt), 1n);
  assert.deepEqual(seen, [0n]);
});

test('an answer other than 200 is an error', () => {
  const scanner = new ClusterScanner({});
  scanner.push(Buffer.from('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n\r\nfull\n'), 0n);
  assert.match(scanner.error ?? '', /503/);
});
