import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AudioDeviceList } from '../api.js';
import { AudioWatch, nextAudio } from './audio-watch.js';

const speakers = { id: 'speakers.monitor', name: 'Monitor of Speakers', kind: 'output' as const };
const headphones = { id: 'phones.monitor', name: 'Monitor of Headphones', kind: 'output' as const };
const listOf = (...devices: (typeof speakers)[]): AudioDeviceList => ({
  devices,
  systemId: devices[0]?.id ?? null,
  micId: null,
  notes: [],
});

describe('the sound device while sharing', () => {
  it('gone → silence with a notice naming the device; back → the device; unchanged → nothing', () => {
    const now = { device: speakers, silenced: false };
    assert.equal(nextAudio(now, 'system', listOf(speakers)), null);
    const gone = nextAudio(now, 'system', null);
    assert.ok(gone);
    assert.deepEqual(gone.next, { device: speakers, silenced: true });
    assert.equal(gone.notice?.code, 'AUDIO_DEVICE_GONE');
    assert.match(gone.notice?.message ?? '', /Monitor of Speakers/);
    assert.equal(nextAudio(gone.next, 'system', listOf()), null, 'silence stays silence');
    const back = nextAudio(gone.next, 'system', listOf(speakers));
    assert.deepEqual(back?.next, { device: speakers, silenced: false });
    assert.equal(back?.notice, null);
  });

  it('system follows a new default output; a named device does not', () => {
    const now = { device: speakers, silenced: false };
    assert.equal(nextAudio(now, 'system', listOf(headphones, speakers))?.next.device, headphones);
    assert.equal(nextAudio(now, 'Monitor of Speakers', listOf(headphones, speakers)), null);
  });

  it('the watch switches its source and reports once per change; nothing after stop', async () => {
    let list: AudioDeviceList | null = listOf(speakers);
    const changes: string[] = [];
    const watch = new AudioWatch({
      choice: 'system',
      device: speakers,
      pollMs: 60_000,
      list: () => (list ? Promise.resolve(list) : Promise.reject(new Error('Connection refused'))),
      onChange: (reason, notice) => changes.push(`${reason}${notice ? ' !' : ''}`),
    });
    assert.deepEqual(watch.source(), { kind: 'device', id: 'speakers.monitor' });
    list = null;
    await watch.check();
    await watch.check();
    assert.deepEqual(watch.source(), { kind: 'silence' });
    list = listOf(speakers);
    await watch.check();
    assert.deepEqual(watch.source(), { kind: 'device', id: 'speakers.monitor' });
    assert.equal(changes.length, 2);
    assert.match(changes[0], /went away.* !$/);
    watch.stop();
    list = null;
    await watch.check();
    assert.equal(changes.length, 2);
  });
});
