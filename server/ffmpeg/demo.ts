import { encodeArgs, muxArgs } from './capture.js';

/** What `mkvcast demo` makes: a picture size, a frame rate, and what this ffmpeg can add to it. */
export interface DemoOptions {
  width: number;
  height: number;
  fps: number;
  /** drawtext with a font (fontconfig) is there: the picture shows the time of day. */
  clock: boolean;
  /** libopus is there; without it the tone is AAC (ffmpeg's own encoder, always there). */
  opus: boolean;
}

export const DEMO_DEFAULTS: DemoOptions = { width: 1280, height: 720, fps: 30, clock: true, opus: true };

/**
 * A live test stream from ffmpeg's lavfi sources alone (nothing to download): testsrc2's moving
 * picture, a running clock, and a tone that beeps each second (so a viewer can hear that sound and
 * picture keep time), encoded as the screen capture is and muxed as live Matroska on stdout.
 */
export function demoArgs(options: DemoOptions = DEMO_DEFAULTS): string[] {
  const { width, height, fps } = options;
  // testsrc2 shows the time since start in its corner; the clock adds the time of day (':' separates
  // filter options, so the one in the expansion is escaped).
  const clock = options.clock
    ? `,drawtext=text='%{localtime\\:%X}':fontsize=${Math.round(height / 14)}:fontcolor=white` +
      ':box=1:boxcolor=black@0.6:boxborderw=12:x=(w-text_w)/2:y=h-text_h-2*lh'
    : '';
  const screen = { id: 'demo', name: 'demo', x: 0, y: 0, width, height, scaleFactor: 1, primary: true };
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    // lavfi makes frames as fast as it can: -re hands them out at their own rate, as a camera would.
    '-re',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${width}x${height}:rate=${fps}${clock}`,
    '-re',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:beep_factor=2:sample_rate=48000',
    '-map',
    '0:v',
    '-map',
    '1:a',
    ...encodeArgs({ fps, keyframeIntervalSec: 1, quality: 'balanced' }, screen, 'libx264'),
    ...(options.opus ? ['-c:a', 'libopus', '-b:a', '96k'] : ['-c:a', 'aac', '-b:a', '128k']),
    '-r',
    String(fps),
    ...muxArgs(fps),
  ];
}
