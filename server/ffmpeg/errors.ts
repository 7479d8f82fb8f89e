export type FfmpegErrorCode =
  'FFMPEG_MISSING' | 'FFMPEG_FAILED' | 'INPUT_UNREADABLE' | 'AUDIO_NOT_COPYABLE' | 'PROTOCOL_REFUSED';

/** Something about the ffmpeg child: missing, or it failed (with the tail of what it said). */
export class FfmpegError extends Error {
  override readonly name = 'FfmpegError';
  constructor(
    readonly code: FfmpegErrorCode,
    message: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** How to get ffmpeg on this platform, in one sentence. */
export function installHint(platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'linux':
      return 'Install it with your package manager (Debian/Ubuntu: sudo apt-get install ffmpeg), or set FFMPEG_PATH to an ffmpeg binary.';
    case 'darwin':
      return 'Install it with Homebrew (brew install ffmpeg), or set FFMPEG_PATH to an ffmpeg binary.';
    case 'win32':
      return 'Download a build from https://ffmpeg.org/download.html and set FFMPEG_PATH to its ffmpeg.exe (or put it on PATH).';
    default:
      return 'Install ffmpeg, or set FFMPEG_PATH to an ffmpeg binary.';
  }
}

/** The ffmpeg a session started with is not there any more (uninstalled or moved while sharing). */
export function ffmpegGone(path: string, cause?: unknown): FfmpegError {
  return new FfmpegError(
    'FFMPEG_MISSING',
    `ffmpeg was not found at ${path} any more, so the screen capture could not be started again.`,
    `Put ffmpeg back there, or set the ffmpeg path to one that exists, then start sharing again. ${installHint()}`,
    { cause },
  );
}
