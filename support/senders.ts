/** Live encoders stand-ins for input tests: ffmpeg sending a file at its real-time rate. */
import type { ChildProcess } from 'node:child_process';
import { ffmpegPath } from './media.js';
import { spawnTracked } from './processes.js';
import type { Exit } from './serve.js';

/** ffmpeg sending `file` at its real-time rate (`-re`) as `format` to `output` (`-` for its stdout). */
export function liveSender(file: string, format: 'matroska' | 'mpegts', output: string): ChildProcess {
  return spawnTracked(
    ffmpegPath,
    ['-hide_banner', '-nostdin', '-v', 'error', '-re', '-i', file, '-c', 'copy', '-f', format, output],
    // Its exit code tells how it went; what it says is not needed.
    { stdio: ['ignore', output === '-' ? 'pipe' : 'ignore', 'ignore'] },
  );
}

/** How `child` exited (at once when it already has). */
export function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
}
