/**
 * What a URL input may make ffmpeg open, itself and through whatever it points to (an HTTP redirect, an
 * HLS playlist's segments and keys, an RTSP session's RTP): network protocols only. ffmpeg's default
 * lets a nested open reach `file`, `concat` or `subfile` on some builds and in some demuxers, so a
 * remote server could make us read and serve a local file; with this list those are refused.
 * - `tls` carries https/rtmps; `httpproxy` is how http goes through http_proxy.
 * - `crypto` decrypts AES-128 HLS segments; it only wraps another URL, which this list checks again.
 * - `data` holds inline HLS keys and playlists (bytes in the URL itself, nothing opened).
 * - RTSP is a demuxer, not a protocol: it opens tcp, udp and rtp (tls for rtsps), which are listed.
 * - `hls` is the old `hls+http://` form; it opens http again, checked against this list.
 * - `srt` and `rtmp*` are the usual live pushes.
 * Left out on purpose: file, pipe, concat, concatf, subfile, cache (it spills to a temp file), unix,
 * and the rarely wanted ones (ftp, sftp, gopher, mms, ipfs, zmq, amqp, rist, sctp).
 */
export const URL_INPUT_PROTOCOLS = [
  'http',
  'https',
  'httpproxy',
  'tcp',
  'tls',
  'udp',
  'rtp',
  'srtp',
  'rtmp',
  'rtmps',
  'rtmpt',
  'rtmpts',
  'ffrtmphttp',
  'srt',
  'hls',
  'crypto',
  'data',
] as const;

/**
 * ffmpeg arguments that turn any input ffmpeg reads into live Matroska on stdout, copying the
 * streams (no re-encode). Video and audio only: data and subtitle streams often cannot be copied
 * into Matroska and nobody watching a live stream needs them. `format: 'webm'` keeps a WebM input
 * WebM (ffmpeg's matroska muxer would relabel it, and the stream would lose its video/webm type).
 * `encodeAudio` encodes the audio to AAC instead of copying it (for ADTS AAC, which ffmpeg cannot
 * copy into live Matroska); the video is copied still. `networkOnly` (URL inputs) lets ffmpeg open
 * network protocols only, whatever its build allows by default: see URL_INPUT_PROTOCOLS.
 */
export function remuxArgs(
  input: string,
  options: {
    fromStdin?: boolean;
    format?: 'matroska' | 'webm';
    encodeAudio?: boolean;
    networkOnly?: boolean;
  } = {},
): string[] {
  return [
    '-hide_banner',
    // No keyboard interaction: stdin is either unused or the input itself.
    '-nostdin',
    '-loglevel',
    'error',
    // A pipe is live: ffmpeg's default 5 s of stream analysis would hold back the first viewer that
    // long (a file is read at disk speed, so it keeps the default).
    ...(options.fromStdin ? ['-analyzeduration', '1000000'] : []),
    ...(options.networkOnly && !options.fromStdin
      ? ['-protocol_whitelist', URL_INPUT_PROTOCOLS.join(',')]
      : []),
    '-i',
    options.fromStdin ? 'pipe:0' : input,
    '-map',
    '0:v?',
    '-map',
    '0:a?',
    '-c',
    'copy',
    ...(options.encodeAudio ? ['-c:a', 'aac', '-b:a', '160k'] : []),
    '-f',
    options.format ?? 'matroska',
    '-live',
    '1',
    // Short clusters: the pacer then releases a file's frames evenly instead of a whole GOP at once.
    '-cluster_time_limit',
    '40',
    'pipe:1',
  ];
}
