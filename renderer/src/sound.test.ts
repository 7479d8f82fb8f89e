import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AudioDeviceList } from '../../server/api.js';
import { levelText, soundOptions, soundWhenOn, trackText } from './sound.js';

const LINUX: AudioDeviceList = {
  devices: [
    { id: 'speakers.monitor', name: 'Monitor of Speakers', kind: 'output' },
    { id: 'deskmic', name: 'Desk Microphone', kind: 'input' },
  ],
  systemId: 'speakers.monitor',
  micId: 'deskmic',
  notes: [],
};

// Windows without "Stereo Mix": ffmpeg's dshow has no loopback, so there is no system sound.
const NO_LOOPBACK: AudioDeviceList = {
  devices: [{ id: 'Microphone (Realtek Audio)', name: 'Microphone (Realtek Audio)', kind: 'input' }],
  systemId: null,
  micId: 'Microphone (Realtek Audio)',
  notes: ['System sound needs a loopback device such as "Stereo Mix"; none was found.'],
};

describe('the sound picker', () => {
  it('offers system sound and the microphone by their devices, then each device by its name', () => {
    assert.deepEqual(
      soundOptions(LINUX, 'system').map((o) => [o.value, o.label, o.off]),
      [
        ['system', 'System sound (Monitor of Speakers)', false],
        ['mic', 'Microphone (Desk Microphone)', false],
        ['speakers.monitor', 'Monitor of Speakers', false],
        ['deskmic', 'Desk Microphone', false],
      ],
    );
  });

  it('with no loopback device, shows system sound as not on this computer and turns sound on with the mic', () => {
    const [system, mic] = soundOptions(NO_LOOPBACK, 'mic');
    assert.deepEqual(system, { value: 'system', label: 'System sound — none on this computer', off: true });
    assert.equal(mic.off, false);
    assert.equal(soundWhenOn(null, NO_LOOPBACK), 'mic');
    assert.equal(soundWhenOn(null, LINUX), 'system');
    assert.equal(soundWhenOn('deskmic', LINUX), 'deskmic', 'the source picked before comes back');
  });

  it('keeps a saved device that is gone, marked, rather than changing the choice silently', () => {
    assert.deepEqual(soundOptions(LINUX, 'Headset').at(-1), {
      value: 'Headset',
      label: 'Headset (not found now)',
      off: false,
    });
    assert.equal(soundOptions(null, 'system').length, 2, 'before the list arrives: system and mic');
  });

  it('names the audio track viewers get', () => {
    assert.equal(trackText({ codec: 'opus', sampleRate: 48_000, channels: 2 }), 'Opus, 48 kHz, stereo');
    assert.equal(trackText({ codec: 'aac', channels: 1 }), 'aac, mono');
  });

  it('says the level in dBFS, silence below -60, and a device that went away', () => {
    assert.equal(levelText({ device: 'Desk Microphone', levelDb: -21.4, silenced: false }), '-21 dBFS');
    assert.equal(levelText({ device: 'Desk Microphone', levelDb: -91, silenced: false }), 'Silence');
    assert.equal(
      levelText({ device: 'Desk Microphone', levelDb: null, silenced: false }),
      'Waiting for the first reading…',
    );
    assert.match(
      levelText({ device: 'Desk Microphone', levelDb: null, silenced: true }),
      /^Desk Microphone is gone/,
    );
  });
});
