/**
 * ffmpeg arguments that turn any input ffmpeg reads into live Matroska on stdout, copying the
 * streams (no re-encode). Video and audio only: data and subtitle streams often cannot be copied
 * into Matroska and nobody watching a live stream needs them. `format: 'webm'` keeps a WebM input
 * WebM (ffmpeg's matroska muxer would relabel it, and the stream would lose its video/webm type).
 * `encodeAudio` encodes the audio to AAC instead of copying it (for ADTS AAC, which ffmpeg cannot
 * copy into live Matroska); the video is copied still.
 */
export function remuxArgs(
  input: string,
  options: { fromStdin?: boolean; format?: 'matroska' | 'webm'; encodeAudio?: boolean } = {},
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
