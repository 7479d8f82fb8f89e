/**
 * The portal encoders' watch over the stream, with a stand-in cast and a stand-in reader (a shell
 * script writing frames on stdout as gst-launch-1.0 does) and the real ffmpeg: a stream that stops
 * after its first frame, and a cast the desktop ends.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ScreenInfo } from '../api.js';
import { onPath } from '../ffmpeg/locate.js';
import { DEFAULT_SETTINGS } from '../settings.js';
import { blackI420, castScreen, portalEncoders } from './encoder.js';
import type { ScreenCast } from './portal.js';
import { i420FrameBytes } from './reader.js';

/** A cast granted by no desktop: `end()` plays the desktop's "stop sharing". */
function fakeCast(): ScreenCast & { end(): void; renewals: number } {
  const listeners: (() => void)[] = [];
  return {
    stream: { nodeId: 7, width: 64, height: 48, sourceType: 1 },
    restoreToken: null,
    renewals: 0,
    openRemote: () => Promise.resolve(null),
    renew() {
      this.renewals += 1;
      return Promise.resolve();
    },
    onClosed: (listener) => void listeners.push(listener),
    close: () => Promise.resolve(),
    end: () => listeners.splice(0).forEach((listener) => listener()),
  };
}

describe('portal encoders: a stream that stops, a cast the desktop ends', { timeout: 30_000 }, () => {
  let dir: string;
  const frame = i420FrameBytes(64, 48);
  /** A reader that sends `frames` frames 50 ms apart, then (unless `forever`) nothing, staying alive. */
  const reader = (name: string, body: string): string => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mkvcast-portal-encoder-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const settings = () => ({ ...DEFAULT_SETTINGS, fps: 15, keyframeIntervalSec: 1 });
  const run = (cast: ScreenCast, readerPath: string, blankAfterMs?: number) => {
    const factory = portalEncoders({
      cast,
      // gone() checks that this path still exists: the one on PATH, in full.
      ffmpegPath: onPath('ffmpeg', process.env) ?? 'ffmpeg',
      encoder: 'libx264',
      settings,
      readerPath,
      stallMs: 400,
      blankAfterMs,
    });
    const screen: ScreenInfo = castScreen(cast);
    const encoder = factory.start(screen);
    let said = '';
    encoder.onStderr((text) => (said += text));
    let bytes = 0;
    const reading = (async () => {
      for await (const chunk of encoder.output) bytes += chunk.length;
    })();
    return { factory, encoder, said: () => said, bytes: () => bytes, reading };
  };

  it('a reader silent for stallMs after its first frames is stopped, and the run ends saying why', async () => {
    const cast = fakeCast();
    const stuck = reader('stuck.sh', `head -c ${frame * 5} /dev/zero; exec sleep 60`);
    const { factory, encoder, said, bytes, reading } = run(cast, stuck);
    const exit = await encoder.exited;
    await reading;
    assert.ok(exit, 'ffmpeg ran and exited');
    assert.ok(bytes() > 0, 'the frames before the stall were encoded');
    assert.match(said(), /PipeWire reader stopped: its stream sent nothing for 0\.4 s/);
    assert.equal(factory.gone(), null, 'the cast is still there: the next run asks for a new stream');
    await factory.close();
  });

  it('the desktop ends the cast: the reader is stopped, the run ends, and gone() says PORTAL_CLOSED', async () => {
    const cast = fakeCast();
    // A live reader: a frame every 50 ms, for ever.
    const live = reader('live.sh', `while :; do head -c ${frame} /dev/zero; sleep 0.05; done`);
    const { factory, encoder, bytes, reading } = run(cast, live);
    const deadline = Date.now() + 10_000;
    while (bytes() === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(bytes() > 0, 'the encoder streams');
    cast.end();
    await encoder.exited;
    await reading;
    assert.equal((factory.gone() as { code?: string } | null)?.code, 'PORTAL_CLOSED');
    await factory.close();
  });

  it('a new cast whose stream sends nothing (a still screen): black is held, so the run streams and is not taken for hung', async () => {
    const cast = fakeCast();
    const silent = reader('silent.sh', 'exec sleep 60');
    const { factory, encoder, bytes, reading } = run(cast, silent, 200);
    const deadline = Date.now() + 10_000;
    while (bytes() === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(bytes() > 0, 'the encoder streams before the stream sends its first frame');
    encoder.kill();
    await encoder.exited.catch(() => null);
    await reading;
    await factory.close();
  });

  it('blackI420: Y 16 then U and V 128, the size of one frame', () => {
    const black = blackI420(64, 48);
    assert.equal(black.length, frame);
    assert.equal(black[64 * 48 - 1], 16);
    assert.equal(black[64 * 48], 128);
    assert.equal(black[frame - 1], 128);
  });

  it('no reader binary: the run fails with PIPEWIRE_READER_MISSING and what to install', async () => {
    const { factory, encoder } = run(fakeCast(), join(dir, 'no-such-gst-launch'));
    await assert.rejects(encoder.exited, { code: 'PIPEWIRE_READER_MISSING' });
    await factory.close();
  });
});
