import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS, newToken, validateSettings } from './settings.js';

describe('validateSettings', () => {
  it('accepts good settings as they are', () => {
    const good = {
      ...DEFAULT_SETTINGS,
      fps: 15,
      keyframeIntervalSec: 0.5,
      quality: 3000,
      port: 9000,
      token: newToken(),
    };
    assert.deepEqual(validateSettings(good), { settings: good, errors: [] });
  });

  it('names each bad field with a message a form can show next to it', () => {
    const { errors, settings } = validateSettings({
      ...DEFAULT_SETTINGS,
      fps: 0,
      port: 80,
      quality: 'ultra',
      host: 'not an ip',
    });
    assert.deepEqual(
      errors.map((e) => e.field),
      ['fps', 'quality', 'port', 'host'],
    );
    assert.match(errors[0].message, /Frame rate must be a whole number from 1 to 60/);
    assert.match(errors[2].message, /Port must be a whole number from 1024 to 65535/);
    // Bad fields fall back, so a broken settings file still loads.
    assert.equal(settings.fps, DEFAULT_SETTINGS.fps);
    assert.equal(settings.port, DEFAULT_SETTINGS.port);
  });

  it('missing fields take the fallback; non-objects are all fallback', () => {
    assert.deepEqual(validateSettings({ fps: 10 }).settings, { ...DEFAULT_SETTINGS, fps: 10 });
    assert.deepEqual(validateSettings('garbage'), { settings: DEFAULT_SETTINGS, errors: [] });
  });

  it('the presets before issue 14 (low, medium, high) still load, as the content presets', () => {
    const mapped = ['low', 'medium', 'high'].map((quality) => validateSettings({ quality }));
    assert.deepEqual(
      mapped.map((m) => m.settings.quality),
      ['text', 'balanced', 'motion'],
    );
    assert.ok(mapped.every((m) => m.errors.length === 0));
  });

  it('WebRTC ports: empty for any port, a range low-high from 1024, and one port per viewer at least', () => {
    const ok = { ...DEFAULT_SETTINGS, webrtcPorts: '40000-40063' };
    assert.deepEqual(validateSettings(ok), { settings: ok, errors: [] });
    for (const [webrtcPorts, message] of [
      ['80-90', /from 1024 to 65535 \(lower ones need root\)/],
      ['40100-40000', /low first: write 40000-40100/],
      ['40000:40100', /low-high, e\.g\. 40000-40100/],
    ] as const) {
      const { settings, errors } = validateSettings({ ...DEFAULT_SETTINGS, webrtcPorts });
      assert.equal(errors.length, 1, webrtcPorts);
      assert.equal(errors[0].field, 'webrtcPorts');
      assert.match(errors[0].message, message);
      assert.equal(settings.webrtcPorts, '');
    }
    const short = validateSettings({ ...DEFAULT_SETTINGS, webrtcPorts: '40000-40009' });
    assert.deepEqual(short.errors, [
      {
        field: 'webrtcPorts',
        message:
          'WebRTC ports 40000-40009 hold 10 browser viewers, but max viewers is 64 (each WebRTC viewer takes a ' +
          'UDP port). Widen the range to 64 ports or more (e.g. 40000-40063), or lower max viewers to 10.',
      },
    ]);
    assert.equal(short.settings.webrtcPorts, '', 'repaired to any free port, so a settings file still loads');
    const fewer = { ...DEFAULT_SETTINGS, webrtcPorts: '40000-40009', maxViewers: 10 };
    assert.deepEqual(validateSettings(fewer).errors, []);
    assert.match(
      validateSettings({ ...DEFAULT_SETTINGS, webrtcPorts: '65500-65535', maxViewers: 100 }).errors[0]
        .message,
      /e\.g\. 40000-40099/,
    );
  });

  it('tokens are URL-safe and long enough', () => {
    assert.match(newToken(), /^[A-Za-z0-9_-]{22}$/);
    assert.equal(validateSettings({ token: 'short' }).errors[0].field, 'token');
    assert.equal(validateSettings({ token: 'has/slash-in-it' }).errors[0].field, 'token');
  });

  it('the upload budget is none, or Mbit/s from 0.1 to 100000', () => {
    assert.equal(DEFAULT_SETTINGS.maxUploadMbit, null);
    assert.equal(validateSettings({ maxUploadMbit: 50 }).settings.maxUploadMbit, 50);
    assert.equal(validateSettings({ maxUploadMbit: 0.5 }).errors.length, 0);
    for (const bad of [0, -1, 200_000, '50', Number.NaN]) {
      const { errors } = validateSettings({ maxUploadMbit: bad });
      assert.equal(errors[0]?.field, 'maxUploadMbit', String(bad));
      assert.match(
        errors[0].message,
        /upload budget must be a number of Mbit\/s from 0\.1 to 100000, or none/,
      );
    }
  });

  it('sound: none by default; system, mic or a device name pass; empty, control characters or a non-string do not', () => {
    assert.equal(DEFAULT_SETTINGS.audio, 'none');
    for (const ok of [
      'system',
      'mic',
      'alsa_input.usb-Blue_Yeti-00.analog-stereo',
      'Stereo Mix (Realtek(R) Audio)',
    ])
      assert.deepEqual(validateSettings({ audio: ok }).errors, []);
    for (const bad of ['', '  ', 'a\nb', 42, 'x'.repeat(257)])
      assert.equal(validateSettings({ audio: bad }).errors[0]?.field, 'audio');
  });
});
