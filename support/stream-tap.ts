/**
 * A viewer that keeps every byte of one HTTP stream connection and reads it as Matroska as it comes:
 * how many clusters arrived and when, the picture size of each header, and how the connection ended (a
 * clean end of the chunked body, or cut). The bytes can then be decoded by ffmpeg from a file.
 */
import { get } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { MatroskaReader } from '../server/matroska/reader.js';

export interface StreamTap {
  /** Every body byte received so far (without the chunked framing). */
  bytes(): Buffer;
  /** Clusters received so far. */
  readonly clusters: number;
  /** Picture size (`WxH`) of each init header received, in order. */
  readonly headerSizes: string[];
  /** How the connection ended: null while open, 'end' for a clean end of the body, else the error. */
  readonly ended: null | 'end' | string;
  /** Resolves once the connection has ended, with how. */
  closed: Promise<'end' | string>;
  /** Writes what was received up to the end of the last whole cluster to `file`, for ffmpeg to decode. */
  save(file: string): Promise<void>;
  /** Hangs up. */
  destroy(): void;
}

/** Opens `url` and keeps reading it until the server ends it or `destroy()` is called. */
export function tapStream(url: string): Promise<StreamTap> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const reader = new MatroskaReader();
    let clusters = 0;
    /** Bytes up to the end of the last whole header or cluster: the stream is those, back to back. */
    let wholeBytes = 0;
    const headerSizes: string[] = [];
    let ended: null | 'end' | string = null;
    let onClosed: (how: 'end' | string) => void = () => {};
    const closed = new Promise<'end' | string>((done) => (onClosed = done));
    const finish = (how: 'end' | string): void => {
      if (ended !== null) return;
      ended = how;
      onClosed(how);
    };
    const request = get(url, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`${url} answered ${response.statusCode}`));
        response.resume();
        return;
      }
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        for (const event of reader.push(chunk)) {
          if (event.kind === 'cluster') {
            clusters += 1;
            wholeBytes += event.cluster.bytes.length;
          } else {
            wholeBytes += event.header.bytes.length;
            const video = event.header.tracks.find((t) => t.kind === 'video');
            headerSizes.push(`${video?.width}x${video?.height}`);
          }
        }
      });
      response.on('end', () => finish('end'));
      response.on('aborted', () => finish('aborted: the connection was cut before the end of the body'));
      response.on('error', (error) => finish(error.message));
      resolve({
        bytes: () => Buffer.concat(chunks),
        get clusters() {
          return clusters;
        },
        headerSizes,
        get ended() {
          return ended;
        },
        closed,
        save: (file) => writeFile(file, Buffer.concat(chunks).subarray(0, wholeBytes)),
        destroy: () => request.destroy(),
      });
    });
    request.on('error', (error) => {
      finish(error.message);
      reject(error);
    });
  });
}
