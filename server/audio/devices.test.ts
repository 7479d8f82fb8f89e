import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseAvfoundationDevices,
  parseDshowDevices,
  parsePactlInfo,
  parsePactlJsonSources,
  parsePactlTextSources,
  pulseDevices,
  resolveAudio,
} from './devices.js';
import { AudioError } from './errors.js';

// Shapes as pactl 16.1 prints them (trimmed to the fields read).
const PACTL_JSON = JSON.stringify([
  {
    index: 0,
    name: 'alsa_output.pci-0000_00_1f.3.analog-stereo.monitor',
    description: 'Monitor of Built-in Audio Analog Stereo',
    monitor_source: 'alsa_output.pci-0000_00_1f.3.analog-stereo',
    properties: { 'device.class': 'monitor' },
  },
  {
    index: 1,
    name: 'alsa_input.pci-0000_00_1f.3.analog-stereo',
    description: 'Built-in Audio Analog Stereo',
    monitor_source: 'n/a',
    properties: { 'device.class': 'sound' },
  },
  {
    index: 2,
    name: 'alsa_input.usb-Blue_Yeti-00.analog-stereo',
    description: 'Yeti Stereo Microphone Analog Stereo',
    monitor_source: '',
    properties: {},
  },
]);

const PACTL_TEXT = `Source #0
	State: SUSPENDED
	Name: alsa_output.pci-0000_00_1f.3.analog-stereo.monitor
	Description: Monitor of Built-in Audio Analog Stereo
	Driver: module-alsa-card.c
	Monitor of Sink: alsa_output.pci-0000_00_1f.3.analog-stereo
	Properties:
		device.description = "Monitor of Built-in Audio Analog Stereo"

Source #1
	State: RUNNING
	Name: alsa_input.pci-0000_00_1f.3.analog-stereo
	Description: Built-in Audio Analog Stereo
	Monitor of Sink: n/a
`;

const PACTL_INFO = `Server String: /run/user/1000/pulse/native
Server Name: PulseAudio (on PipeWire 0.3.65)
Default Sink: alsa_output.pci-0000_00_1f.3.analog-stereo
Default Source: alsa_input.usb-Blue_Yeti-00.analog-stereo
`;

const DSHOW_NEW = `[dshow @ 000001b2c3] "Integrated Camera" (video)
[dshow @ 000001b2c3]   Alternative name "@device_pnp_\\\\?\\usb#vid_04f2"
[dshow @ 000001b2c3] "Microphone Array (Realtek(R) Audio)" (audio)
[dshow @ 000001b2c3]   Alternative name "@device_cm_{33D9A762-90C8-11D0-BD43-00A0C911CE86}\\wave_{1}"
[dshow @ 000001b2c3] "Stereo Mix (Realtek(R) Audio)" (audio)
[dshow @ 000001b2c3]   Alternative name "@device_cm_{33D9A762-90C8-11D0-BD43-00A0C911CE86}\\wave_{2}"
dummy: Immediate exit requested`;

const DSHOW_OLD = `[dshow @ 0x1] DirectShow video devices (some may be both video and audio devices)
[dshow @ 0x1]  "USB2.0 HD UVC WebCam"
[dshow @ 0x1] DirectShow audio devices
[dshow @ 0x1]  "Microphone (USB Audio Device)"
dummy: Immediate exit requested`;

const AVFOUNDATION = `[AVFoundation indev @ 0x7f8e1] AVFoundation video devices:
[AVFoundation indev @ 0x7f8e1] [0] FaceTime HD Camera
[AVFoundation indev @ 0x7f8e1] [1] Capture screen 0
[AVFoundation indev @ 0x7f8e1] AVFoundation audio devices:
[AVFoundation indev @ 0x7f8e1] [0] BlackHole 2ch
[AVFoundation indev @ 0x7f8e1] [1] MacBook Pro Microphone
: Input/output error`;

describe('sound devices', () => {
  it("PulseAudio: system is the default sink's monitor, mic the default source, names are the descriptions", () => {
    const { defaultSink, defaultSource } = parsePactlInfo(PACTL_INFO);
    const list = pulseDevices(parsePactlJsonSources(PACTL_JSON), defaultSink, defaultSource);
    assert.deepEqual(
      list.devices.map((d) => [d.name, d.kind]),
      [
        ['Monitor of Built-in Audio Analog Stereo', 'output'],
        ['Built-in Audio Analog Stereo', 'input'],
        ['Yeti Stereo Microphone Analog Stereo', 'input'],
      ],
    );
    assert.equal(list.systemId, 'alsa_output.pci-0000_00_1f.3.analog-stereo.monitor');
    assert.equal(list.micId, 'alsa_input.usb-Blue_Yeti-00.analog-stereo');
    assert.deepEqual(list.notes, []);
  });

  it('PulseAudio before pactl 16: the text form gives the same sources', () => {
    assert.deepEqual(parsePactlTextSources(PACTL_TEXT), parsePactlJsonSources(PACTL_JSON).slice(0, 2));
  });

  it('PulseAudio: a default source that is a monitor is not taken for a microphone', () => {
    const sources = parsePactlJsonSources(PACTL_JSON);
    const list = pulseDevices(sources, 'alsa_output.pci-0000_00_1f.3.analog-stereo', sources[0].name);
    assert.equal(list.micId, 'alsa_input.pci-0000_00_1f.3.analog-stereo');
  });

  it('pactl output that is not JSON is an error that says to check the sound server', () => {
    assert.throws(() => parsePactlJsonSources('Connection failure'), {
      code: 'SOUND_SERVER_UNREADABLE',
      fix: /pactl info/,
    });
  });

  it('Windows: dshow audio devices in both of ffmpeg’s formats; Stereo Mix is the system sound', () => {
    const list = parseDshowDevices(DSHOW_NEW);
    assert.deepEqual(
      list.devices.map((d) => [d.id, d.kind]),
      [
        ['Microphone Array (Realtek(R) Audio)', 'input'],
        ['Stereo Mix (Realtek(R) Audio)', 'output'],
      ],
    );
    assert.equal(list.systemId, 'Stereo Mix (Realtek(R) Audio)');
    assert.equal(list.micId, 'Microphone Array (Realtek(R) Audio)');
    const old = parseDshowDevices(DSHOW_OLD);
    assert.deepEqual(
      old.devices.map((d) => d.id),
      ['Microphone (USB Audio Device)'],
    );
    assert.equal(old.systemId, null);
    assert.match(old.notes[0], /Stereo Mix/);
  });

  it('macOS: avfoundation audio devices by index; without BlackHole there is no system sound, and it says so', () => {
    const list = parseAvfoundationDevices(AVFOUNDATION);
    assert.deepEqual(
      list.devices.map((d) => [d.id, d.name, d.kind]),
      [
        ['0', 'BlackHole 2ch', 'output'],
        ['1', 'MacBook Pro Microphone', 'input'],
      ],
    );
    const without = parseAvfoundationDevices(AVFOUNDATION.replace('BlackHole 2ch', 'USB Audio CODEC'));
    assert.equal(without.systemId, null);
    assert.match(without.notes[0], /BlackHole/);
  });

  it('system, mic, an id, a name in any case resolve; an unknown name is an error naming the choices and --list-audio', () => {
    const list = parseAvfoundationDevices(AVFOUNDATION);
    assert.equal(resolveAudio('system', list).name, 'BlackHole 2ch');
    assert.equal(resolveAudio('mic', list).id, '1');
    assert.equal(resolveAudio('1', list).name, 'MacBook Pro Microphone');
    assert.equal(resolveAudio('macbook pro microphone', list).id, '1');
    assert.throws(
      () => resolveAudio('Headset', list),
      (error: unknown) =>
        error instanceof AudioError &&
        error.code === 'AUDIO_DEVICE_NOT_FOUND' &&
        /'Headset'/.test(error.message) &&
        /BlackHole 2ch/.test(error.fix) &&
        /--list-audio/.test(error.fix),
    );
    const noLoopback = parseDshowDevices(DSHOW_OLD);
    assert.throws(() => resolveAudio('system', noLoopback), {
      code: 'AUDIO_DEVICE_NOT_FOUND',
      fix: /Stereo Mix/,
    });
  });
});
