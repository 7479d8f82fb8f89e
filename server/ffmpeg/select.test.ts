import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { selectCaptureFfmpeg } from './select.js';

const dir = mkdtempSync(join(tmpdir(), 'mkvcast-select-'));

/** An ffmpeg stand-in that answers -version, -devices and -encoders with the given lists. */
function fakeFfmpeg(name: string, devices: string[], encoders: string[]): string {
  const path = join(dir, name);
  const devicesText = ['Devices:', ' D. = Demuxing supported', ' ---', ...devices.map((d) => ` D  ${d}  x`)];
  const encodersText = ['Encoders:', ' V..... = Video', ' ------', ...encoders.map((e) => ` V....D ${e}  x`)];
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      'case "$2" in',
      `  -version) echo 'ffmpeg version fake-${name}' ;;`,
      `  -devices) printf '%s\\n' ${devicesText.map((l) => `'${l}'`).join(' ')} ;;`,
      `  -encoders) printf '%s\\n' ${encodersText.map((l) => `'${l}'`).join(' ')} ;;`,
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return path;
}

describe('selectCaptureFfmpeg', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('takes an ffmpeg without x11grab for raw frames on stdin (the Wayland portal), not for X11', async () => {
    const path = fakeFfmpeg('no-x11grab', ['alsa', 'pulse'], ['libx264', 'rawvideo']);
    const caps = await selectCaptureFfmpeg('linux', path, {}, 'rawvideo');
    assert.equal(caps.path, path);
    await assert.rejects(selectCaptureFfmpeg('linux', path, {}), {
      code: 'FFMPEG_MISSING',
      message: /has no x11grab \(screen capture\)/,
    });
  });

  it('still needs an H.264 encoder for raw frames', async () => {
    const path = fakeFfmpeg('no-h264', ['x11grab'], ['rawvideo', 'mpeg4']);
    await assert.rejects(selectCaptureFfmpeg('linux', path, {}, 'rawvideo'), {
      code: 'FFMPEG_MISSING',
      message: /has no H\.264 encoder/,
    });
  });
});
