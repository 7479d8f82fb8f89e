import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS } from '../settings.js';
import { audioBitrateKbps, audioDeviceArgs, isMeterLine, parseAudioLevel, SILENCE_DB } from './audio.js';
import { captureArgs, type CaptureTarget } from './capture.js';

const screen = { id: 's', name: 's', x: 0, y: 0, width: 640, height: 360, scaleFactor: 1, primary: true };
const target = (platform: CaptureTarget['platform']): CaptureTarget => ({ platform, screen, display: ':0' });

/** The value after `flag` in `args` (the first time it appears after `from`). */
const after = (args: string[], flag: string, from = 0): string | undefined =>
  args[args.indexOf(flag, from) + 1];

describe('sound in the capture command', () => {
  it('none: no sound input, no map, no -copyts (the command is the picture alone)', () => {
    const args = captureArgs(DEFAULT_SETTINGS, target('linux'), 'libx264');
    assert.ok(!args.includes('-map') && !args.includes('-copyts') && !args.includes('libopus'));
  });

  it('a PulseAudio device: second input, one clock (-copyts), 48 kHz stereo low-delay Opus at the preset rate', () => {
    const args = captureArgs({ ...DEFAULT_SETTINGS, quality: 'motion' }, target('linux'), 'libx264', {
      kind: 'device',
      id: 'speakers.monitor',
    });
    const inputs = args.flatMap((a, i) => (a === '-i' ? [args[i + 1]] : []));
    assert.deepEqual(inputs, [':0+0,0', 'speakers.monitor']);
    assert.ok(args.indexOf('-copyts') < args.indexOf('-i'));
    assert.equal(after(args, '-f', args.indexOf(':0+0,0')), 'pulse');
    assert.equal(after(args, '-fragment_size'), '1920'); // 10 ms of 48 kHz stereo s16
    assert.deepEqual(
      [after(args, '-c:a'), after(args, '-ar'), after(args, '-ac'), after(args, '-application')],
      ['libopus', '48000', '2', 'lowdelay'],
    );
    assert.equal(after(args, '-frame_duration'), '10');
    assert.equal(after(args, '-b:a'), '128k');
    assert.deepEqual(args.slice(args.indexOf('-map'), args.indexOf('-map') + 4), [
      '-map',
      '0:v',
      '-map',
      '[aout]',
    ]);
    assert.match(
      after(args, '-filter_complex') ?? '',
      /^\[1:a\]aresample=async=1:min_hard_comp=0\.02,asplit=2\[aout\]\[meter\];/,
    );
    // The output options come before the output.
    assert.ok(args.indexOf('-c:a') < args.indexOf('pipe:1'));
  });

  it('silence: a real-time anullsrc at the same Opus settings, timestamps from 0 (no -copyts)', () => {
    const args = captureArgs(DEFAULT_SETTINGS, target('linux'), 'libx264', { kind: 'silence' });
    assert.equal(after(args, '-i', args.indexOf('lavfi')), 'anullsrc=r=48000:cl=stereo');
    assert.ok(args.indexOf('-re') < args.indexOf('lavfi'));
    assert.ok(!args.includes('-copyts'));
    const device = captureArgs(DEFAULT_SETTINGS, target('linux'), 'libx264', { kind: 'device', id: 'x' });
    const encoder = (a: string[]): string[] => a.slice(a.indexOf('-filter_complex'), a.indexOf('-b:a') + 2);
    assert.deepEqual(encoder(args), encoder(device));
  });

  it('Windows dshow and macOS avfoundation device inputs, without -copyts (one clock is checked on Linux only)', () => {
    for (const platform of ['win32', 'darwin'] as const)
      assert.ok(
        !captureArgs(DEFAULT_SETTINGS, target(platform), 'libx264', { kind: 'device', id: '0' }).includes(
          '-copyts',
        ),
      );
    assert.deepEqual(audioDeviceArgs('win32', 'Stereo Mix (Realtek(R) Audio)').slice(-2), [
      '-i',
      'audio=Stereo Mix (Realtek(R) Audio)',
    ]);
    assert.equal(after(audioDeviceArgs('win32', 'x'), '-audio_buffer_size'), '20');
    assert.deepEqual(audioDeviceArgs('darwin', '0').slice(-2), ['-i', ':0']);
    assert.equal(after(audioDeviceArgs('darwin', '0'), '-f'), 'avfoundation');
  });

  it('the level meter: readings parsed from its stderr lines, -inf as silence; its lines told apart', () => {
    assert.equal(parseAudioLevel('lavfi.astats.Overall.RMS_level=-21.073762'), -21.1);
    assert.equal(parseAudioLevel('lavfi.astats.Overall.RMS_level=-inf'), SILENCE_DB);
    assert.equal(parseAudioLevel('frame:3    pts:14400   pts_time:0.3'), null);
    assert.ok(isMeterLine('frame:3    pts:14400   pts_time:0.3'));
    assert.ok(!isMeterLine('frame=  30'));
    assert.ok(!isMeterLine('[pulse @ 0x1] speakers.monitor: Connection refused'));
  });

  it('the Opus bitrate follows the quality preset, and a video bitrate picks a band', () => {
    assert.deepEqual(
      ['text', 'balanced', 'motion', 500, 2500, 8000].map((q) => audioBitrateKbps(q as never)),
      [64, 96, 128, 48, 96, 128],
    );
  });
});
