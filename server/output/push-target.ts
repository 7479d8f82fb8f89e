import { safeUrl } from '../input/describe.js';
import { OutputError } from './errors.js';

export type PushKind = 'icecast' | 'mkvcast' | 'rtmp' | 'srt';

/** Where a push goes, and how it is shown: `shown` and `redact()` never hold a password or a key. */
export interface PushTarget {
  url: string;
  kind: PushKind;
  /** Safe for /status and logs: no user, password, query, and no key in the path (rtmp, ingest). */
  shown: string;
  /** What is sent, for the log and /status: `Matroska, copied`, `FLV: video copied, audio → AAC 128k`. */
  sends: string;
  /** The parts of `url` that are secrets, longest first. */
  secrets: string[];
}

const USAGE =
  'Give icecast://source:PASSWORD@HOST:PORT/MOUNT, http(s)://HOST:PORT/KEY/ingest (another mkvcast), rtmp(s)://HOST/APP/KEY or srt://HOST:PORT.';

/** Checks a `--push` URL and says what it is. Throws OutputError PUSH_URL_INVALID. */
export function pushTarget(url: string): PushTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new OutputError('PUSH_URL_INVALID', `--push ${safeUrl(url)} is not a URL.`, USAGE, {
      cause: error,
    });
  }
  const scheme = parsed.protocol.slice(0, -1).toLowerCase();
  if (!parsed.hostname)
    throw new OutputError('PUSH_URL_INVALID', `--push ${safeUrl(url)} names no host.`, USAGE);
  const secrets = new Set<string>();
  for (const part of [parsed.password, parsed.username, decodeURIComponent(parsed.password)])
    if (part) secrets.add(part);
  if (parsed.search.length > 1) secrets.add(parsed.search.slice(1));
  const segments = parsed.pathname.split('/').filter(Boolean);
  const origin = `${scheme}://${parsed.host}`;
  let kind: PushKind;
  let shown: string;
  let sends: string;
  switch (scheme) {
    case 'icecast':
      if (segments.length === 0)
        throw new OutputError('PUSH_URL_INVALID', `--push ${safeUrl(url)} names no mount.`, USAGE);
      kind = 'icecast';
      shown = `${origin}${parsed.pathname}`;
      sends = 'Matroska, copied (video/x-matroska)';
      break;
    case 'http':
    case 'https':
      if (segments.length !== 2 || segments[1] !== 'ingest')
        throw new OutputError(
          'PUSH_URL_INVALID',
          `--push ${origin}/… is not another mkvcast's ingest (http://HOST:PORT/KEY/ingest).`,
          USAGE,
        );
      kind = 'mkvcast';
      secrets.add(segments[0]);
      shown = `${origin}/…/ingest`;
      sends = 'Matroska, copied (HTTP PUT)';
      break;
    case 'rtmp':
    case 'rtmps':
      kind = 'rtmp';
      // rtmp://HOST/APP/STREAM_KEY: everything after the application is the stream key.
      for (const s of segments.slice(1)) secrets.add(s);
      shown = `${origin}/${segments[0] ?? ''}${segments.length > 1 ? '/…' : ''}`;
      sends = 'FLV: video copied (H.264 only), audio encoded to AAC 128 kbit/s (FLV takes no Opus)';
      break;
    case 'srt':
      kind = 'srt';
      shown = origin;
      sends = 'MPEG-TS, copied';
      break;
    default:
      throw new OutputError(
        'PUSH_URL_INVALID',
        `--push ${safeUrl(url)}: ${scheme}:// cannot be pushed to.`,
        USAGE,
      );
  }
  secrets.delete('');
  return { url, kind, shown, sends, secrets: [...secrets].sort((a, b) => b.length - a.length) };
}

/** `text` with every secret of `target` (and the URL itself) replaced by `***`. */
export function redact(text: string, target: PushTarget): string {
  let out = text.split(target.url).join(target.shown);
  for (const secret of target.secrets) out = out.split(secret).join('***');
  return out;
}

/**
 * The ffmpeg arguments of a push: Matroska from the publisher on stdin, copied (no encode) to the
 * target, except FLV's audio (see PushTarget.sends). `-progress pipe:1` reports the bytes sent.
 */
export function pushArgs(target: PushTarget): string[] {
  const input = [
    '-hide_banner',
    '-nostats',
    '-v',
    'error',
    '-progress',
    'pipe:1',
    // The live stream: read what comes without waiting to fill a probe window.
    '-fflags',
    '+nobuffer',
    '-f',
    'matroska',
    '-i',
    'pipe:0',
  ];
  switch (target.kind) {
    case 'icecast':
      return [
        ...input,
        '-map',
        '0',
        '-c',
        'copy',
        '-content_type',
        'video/x-matroska',
        '-f',
        'matroska',
        target.url,
      ];
    case 'mkvcast':
      return [...input, '-map', '0', '-c', 'copy', '-f', 'matroska', '-method', 'PUT', target.url];
    case 'rtmp':
      return [
        ...input,
        '-map',
        '0:v:0',
        '-map',
        '0:a:0?',
        '-c:v',
        'copy',
        '-c:a',
        'aac',
        '-b:a',
        '128k',
        '-f',
        'flv',
        target.url,
      ];
    case 'srt':
      return [...input, '-map', '0', '-c', 'copy', '-f', 'mpegts', target.url];
  }
}
