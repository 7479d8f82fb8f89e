/**
 * Real screen thumbnails for the app test, where Electron's desktopCapturer cannot run: one frame of
 * the X screen grabbed by ffmpeg, scaled down, as the `data:` URL desktopCapturer would give.
 */
import type { ScreenInfo } from '../server/api.js';
import { withThumbnails } from '../electron/screens.js';
import { ffmpegPath } from './media.js';
import { runToExit } from './processes.js';

export async function x11Thumbnail(display: string, screen: ScreenInfo, width = 320): Promise<string> {
  const run = await runToExit(
    ffmpegPath,
    [
      ...[
        '-v',
        'error',
        '-f',
        'x11grab',
        '-draw_mouse',
        '0',
        '-video_size',
        `${screen.width}x${screen.height}`,
      ],
      ...['-i', `${display}+${screen.x},${screen.y}`, '-frames:v', '1', '-vf', `scale=${width}:-2`],
      ...['-c:v', 'png', '-f', 'image2pipe', '-'],
    ],
    { timeoutMs: 10_000 },
  );
  if (run.code !== 0) throw new Error(`ffmpeg could not grab ${display}: ${run.stderr}`);
  return `data:image/png;base64,${run.stdout.toString('base64')}`;
}

/** `screens` with a thumbnail each, matched by id as the app matches desktopCapturer's sources. */
export async function withX11Thumbnails(display: string, screens: ScreenInfo[]): Promise<ScreenInfo[]> {
  const sources = await Promise.all(
    screens.map(async (s) => ({ displayId: s.id, dataUrl: await x11Thumbnail(display, s) })),
  );
  return withThumbnails(screens, sources);
}

/** One frame of X window `id` (x11grab -window_id), scaled down: what desktopCapturer gives for a window. */
export async function x11WindowThumbnail(display: string, id: string, width = 320): Promise<string> {
  const run = await runToExit(
    ffmpegPath,
    [
      ...['-v', 'error', '-f', 'x11grab', '-draw_mouse', '0', '-window_id', id, '-i', display],
      ...['-frames:v', '1', '-vf', `scale=${width}:-2`, '-c:v', 'png', '-f', 'image2pipe', '-'],
    ],
    { timeoutMs: 10_000 },
  );
  if (run.code !== 0) throw new Error(`ffmpeg could not grab window ${id} on ${display}: ${run.stderr}`);
  return `data:image/png;base64,${run.stdout.toString('base64')}`;
}
