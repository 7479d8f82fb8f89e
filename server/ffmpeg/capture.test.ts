import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScreenInfo } from '../api.js';
import { DEFAULT_SETTINGS } from '../settings.js';
import { screensFromDisplays } from '../screens.js';
import { bitrateKbps, captureArgs, encodeArgs, outputDimensions } from './capture.js';

const screen: ScreenInfo = {
  id: 'HDMI-1',
  name: 'HDMI-1',
  x: 1920,
  y: 0,
  width: 1281,
  height: 721,
  scaleFactor: 1,
  primary: false,
};
const settings = { ...DEFAULT_SETTINGS, fps: 30, keyframeIntervalSec: 2 };

const after = (args: string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

describe('captureArgs', () => {
  it('Linux: x11grab of the screen region on the display, even size, with the cursor', () => {
    const args = captureArgs(settings, { platform: 'linux', screen, display: ':1' }, 'libx264');
    assert.equal(after(args, '-f'), 'x11grab');
    assert.equal(after(args, '-framerate'), '30');
    assert.equal(after(args, '-video_size'), '1280x720');
    assert.equal(after(args, '-draw_mouse'), '1');
    assert.equal(after(args, '-i'), ':1+1920,0');
  });

  it('Windows: gdigrab of the desktop at the screen offset', () => {
    const args = captureArgs(settings, { platform: 'win32', screen, display: '' }, 'libx264');
    assert.equal(after(args, '-f'), 'gdigrab');
    assert.equal(after(args, '-offset_x'), '1920');
    assert.equal(after(args, '-offset_y'), '0');
    assert.equal(after(args, '-i'), 'desktop');
  });

  it('macOS: avfoundation screen device with the cursor and no audio', () => {
    const args = captureArgs(settings, { platform: 'darwin', screen, display: '3' }, 'libx264');
    assert.equal(after(args, '-f'), 'avfoundation');
    assert.equal(after(args, '-capture_cursor'), '1');
    assert.equal(after(args, '-i'), '3:none');
  });

  it('libx264 for low latency: zerolatency, fixed GOP = keyframe interval × fps, no scene cuts, yuv420p', () => {
    const args = encodeArgs({ ...settings, quality: 2500 }, screen, 'libx264');
    assert.equal(after(args, '-c:v'), 'libx264');
    assert.equal(after(args, '-preset'), 'veryfast');
    assert.equal(after(args, '-tune'), 'zerolatency');
    assert.equal(after(args, '-g'), '60');
    assert.equal(after(args, '-keyint_min'), '60');
    assert.equal(after(args, '-sc_threshold'), '0');
    assert.equal(after(args, '-pix_fmt'), 'yuv420p');
    assert.equal(after(args, '-maxrate'), after(args, '-b:v'));
  });

  it('muxes live Matroska to stdout with one frame per cluster', () => {
    const args = captureArgs(
      { ...settings, fps: 25 },
      { platform: 'linux', screen, display: ':0' },
      'libx264',
    );
    assert.equal(after(args, '-live'), '1');
    assert.equal(after(args, '-cluster_time_limit'), '40');
    assert.equal(args.at(-1), 'pipe:1');
  });

  it('the frame rate is stated, not probed: the same settings always give the same stream header', () => {
    const args = captureArgs(
      { ...settings, fps: 15 },
      { platform: 'linux', screen, display: ':0' },
      'libx264',
    );
    const input = args.indexOf('-i');
    assert.ok(args.indexOf('-analyzeduration') < input && after(args, '-analyzeduration') === '0');
    assert.ok(args.indexOf('-probesize') < input);
    assert.ok(args.lastIndexOf('-r') > input, '-r is an output option');
    assert.equal(args[args.lastIndexOf('-r') + 1], '15');
  });

  it('the quality presets cap the bitrate in step with the picture; a number is a bitrate', () => {
    assert.ok(bitrateKbps('text', 1920, 1080, 30) < bitrateKbps('balanced', 1920, 1080, 30));
    assert.ok(bitrateKbps('balanced', 1920, 1080, 30) < bitrateKbps('motion', 1920, 1080, 30));
    assert.ok(bitrateKbps('balanced', 1280, 720, 30) < bitrateKbps('balanced', 1920, 1080, 30));
    assert.equal(bitrateKbps(2500, 1920, 1080, 30), 2500);
  });

  it('the default (balanced) is CRF 24 under 4900k at 1080p30 with a half-second buffer (chosen by bench/quality.ts)', () => {
    assert.equal(bitrateKbps('balanced', 1920, 1080, 30), 4900);
    const args = encodeArgs(
      { ...settings, fps: 30, quality: 'balanced' },
      { ...screen, width: 1920, height: 1080 },
      'libx264',
    );
    assert.equal(after(args, '-crf'), '24');
    assert.equal(after(args, '-maxrate'), '4900k');
    // Half a second, as CBR: the largest frame stays within today's medium's (2500 kbit), for latency.
    assert.equal(after(args, '-bufsize'), '2450k');
    // The other presets keep half a second too.
    const text = encodeArgs(
      { ...settings, fps: 30, quality: 'text' },
      { ...screen, width: 1920, height: 1080 },
      'libx264',
    );
    assert.equal(after(text, '-bufsize'), `${Math.round(bitrateKbps('text', 1920, 1080, 30) / 2)}k`);
    assert.equal(after(encodeArgs({ ...settings, quality: 3000 }, screen, 'libx264'), '-bufsize'), '1500k');
  });

  it('a preset is constant quality under a cap; a number is constant bitrate', () => {
    const preset = encodeArgs({ ...settings, fps: 30, quality: 'text' }, screen, 'libx264');
    assert.ok(preset.includes('-crf') && !preset.includes('-b:v'));
    assert.equal(after(preset, '-maxrate'), `${bitrateKbps('text', 1280, 720, 30)}k`);
    const fixed = encodeArgs({ ...settings, quality: 3000 }, screen, 'libx264');
    assert.ok(!fixed.includes('-crf'));
    assert.equal(after(fixed, '-b:v'), '3000k');
  });

  it('the sharpest-text preset encodes 4:4:4; the others 4:2:0, which browsers play', () => {
    assert.equal(
      after(encodeArgs({ ...settings, quality: 'text444' }, screen, 'libx264'), '-pix_fmt'),
      'yuv444p',
    );
    for (const quality of ['text', 'balanced', 'motion'] as const) {
      assert.equal(after(encodeArgs({ ...settings, quality }, screen, 'libx264'), '-pix_fmt'), 'yuv420p');
    }
  });

  it('HiDPI: a 1440×900 display at 2× is captured at 2880×1800 and sent at the output size chosen', () => {
    const [retina] = screensFromDisplays(
      [{ id: 1, label: 'Built-in', bounds: { x: 0, y: 0, width: 1440, height: 900 }, scaleFactor: 2 }],
      1,
    );
    const target = { platform: 'linux' as const, screen: retina, display: ':0' };
    const native = captureArgs({ ...settings, outputSize: 'native' }, target, 'libx264');
    assert.equal(after(native, '-video_size'), '2880x1800');
    assert.equal(after(native, '-vf'), 'scale=2880:1800');
    const hd = captureArgs({ ...settings, outputSize: '1080p', quality: 'balanced' }, target, 'libx264');
    assert.equal(after(hd, '-video_size'), '2880x1800', 'still captured whole, at its physical size');
    assert.equal(after(hd, '-vf'), 'scale=1728:1080');
    assert.equal(
      after(hd, '-maxrate'),
      `${bitrateKbps('balanced', 1728, 1080, 30)}k`,
      'the cap follows the size sent',
    );
    assert.deepEqual(
      outputDimensions({ width: 1280, height: 720 }, '1080p'),
      { width: 1280, height: 720 },
      'never scaled up',
    );
    assert.deepEqual(outputDimensions({ width: 1281, height: 721 }, '720p'), { width: 1278, height: 720 });
  });

  it('a window: x11grab by id at its own size (not scaled to the screen); gdigrab by title', () => {
    const linux = captureArgs(
      settings,
      { platform: 'linux', screen, display: ':1', window: '0x20000c' },
      'libx264',
    );
    assert.equal(after(linux, '-window_id'), '0x20000c');
    assert.equal(after(linux, '-i'), ':1');
    assert.ok(!linux.includes('-video_size'));
    assert.equal(after(linux, '-vf'), 'scale=trunc(iw/2)*2:trunc(ih/2)*2');
    const windows = captureArgs(
      settings,
      { platform: 'win32', screen, display: '', window: 'Notes' },
      'libx264',
    );
    assert.equal(after(windows, '-f'), 'gdigrab');
    assert.equal(after(windows, '-i'), 'title=Notes');
  });

  it('paused: a generated card at the capture size, paced in real time, with nothing grabbed', () => {
    const args = captureArgs(settings, { platform: 'linux', screen, display: ':1', card: true }, 'libx264');
    assert.ok(!args.includes('x11grab'));
    assert.ok(args.indexOf('-re') < args.indexOf('-i'));
    assert.match(
      after(args, '-i') ?? '',
      /^color=c=0x1e2a38:s=1280x720:r=30,drawtext=text=Paused.*format=bgr0,setsar=0$/,
    );
    assert.deepEqual(
      encodeArgs(settings, screen, 'libx264'),
      args.slice(args.indexOf('-vf'), args.lastIndexOf('-r')),
      'the same encoder arguments as the screen, so the stream header matches',
    );
  });

  it("paused while sharing a window: the card is the window's size, through the window's own scaling", () => {
    const target = { platform: 'linux' as const, screen, display: ':1', window: '0x1a00002' };
    const windowRun = captureArgs(settings, target, 'libx264');
    const card = captureArgs(
      settings,
      { ...target, card: true, windowSize: { width: 485, height: 316 } },
      'libx264',
    );
    assert.match(after(card, '-i') ?? '', /^color=c=0x1e2a38:s=484x316:r=30,/);
    assert.deepEqual(
      card.slice(card.indexOf('-vf'), card.lastIndexOf('-r')),
      windowRun.slice(windowRun.indexOf('-vf'), windowRun.lastIndexOf('-r')),
      'the same encoder arguments as the window run',
    );
  });
});
