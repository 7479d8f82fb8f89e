import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS } from '../../server/settings.js';
import { draftFromSettings, settingsFromDraft } from './draft.js';
import { formatBitrate, formatDuration } from './format.js';
import { accessNotice } from './access.js';
import { regionPresets } from './regions.js';

describe('the settings form draft', () => {
  it('round-trips settings, a custom bitrate included', () => {
    const settings = { ...DEFAULT_SETTINGS, quality: 4000, fps: 24, token: 'abcdefgh12345678' };
    const draft = draftFromSettings(settings);
    assert.equal(draft.quality, 'custom');
    assert.equal(draft.customKbps, '4000');
    assert.deepEqual(settingsFromDraft(draft, settings), settings);
  });

  it('turns an empty upload budget into none and a typed one into a number', () => {
    const withBudget = { ...DEFAULT_SETTINGS, maxUploadMbit: 20 };
    assert.equal(draftFromSettings(withBudget).maxUploadMbit, '20');
    assert.deepEqual(settingsFromDraft(draftFromSettings(withBudget), DEFAULT_SETTINGS), withBudget);
    const cleared = { ...draftFromSettings(withBudget), maxUploadMbit: '  ' };
    assert.equal(settingsFromDraft(cleared, withBudget).maxUploadMbit, null);
    const text = { ...draftFromSettings(withBudget), maxUploadMbit: 'lots' };
    assert.ok(Number.isNaN(settingsFromDraft(text, withBudget).maxUploadMbit));
  });

  it('WebRTC ports round-trip, trimmed; empty is any free port; a bad range goes on for main to judge', () => {
    const ranged = { ...DEFAULT_SETTINGS, webrtcPorts: '40000-40100' };
    assert.equal(draftFromSettings(ranged).webrtcPorts, '40000-40100');
    assert.deepEqual(settingsFromDraft(draftFromSettings(ranged), DEFAULT_SETTINGS), ranged);
    const typed = { ...draftFromSettings(ranged), webrtcPorts: ' 40100-40000 ' };
    assert.equal(settingsFromDraft(typed, ranged).webrtcPorts, '40100-40000');
    assert.equal(settingsFromDraft({ ...typed, webrtcPorts: '' }, ranged).webrtcPorts, '');
  });

  it('passes what was typed on for the main process to judge: empty or text is not a number', () => {
    const draft = { ...draftFromSettings(DEFAULT_SETTINGS), port: '', fps: 'fast', host: ' 127.0.0.1 ' };
    const settings = settingsFromDraft(draft, DEFAULT_SETTINGS);
    assert.ok(Number.isNaN(settings.port));
    assert.ok(Number.isNaN(settings.fps));
    assert.equal(settings.host, '127.0.0.1');
  });
});

describe('what is shared, in the draft', () => {
  it('a window or a region round-trips; only the one picked is sent', () => {
    const windowed = { ...DEFAULT_SETTINGS, window: '0x1a00002', outputSize: '720p' as const };
    assert.equal(draftFromSettings(windowed).share, 'window');
    assert.deepEqual(settingsFromDraft(draftFromSettings(windowed), windowed), windowed);
    const regioned = { ...DEFAULT_SETTINGS, region: '960x1080+0+0' };
    const draft = draftFromSettings(regioned);
    assert.equal(draft.share, 'region');
    assert.deepEqual(settingsFromDraft(draft, regioned), regioned);
    const back = settingsFromDraft({ ...draft, share: 'screen', window: '0x1' }, regioned);
    assert.equal(back.region, '');
    assert.equal(back.window, '');
  });

  it('region presets are the halves of the screen, in even sizes that fit it', () => {
    assert.deepEqual(
      regionPresets({ width: 3440, height: 1440 }).map((p) => p.region),
      ['1720x1440+0+0', '1720x1440+1720+0', '3440x720+0+0', '3440x720+0+720'],
    );
    // An odd half (1366 / 2 = 683) is rounded down to even, and the right half still ends at the edge.
    assert.deepEqual(
      regionPresets({ width: 1366, height: 768 }).map((p) => p.region),
      ['682x768+0+0', '682x768+684+0', '1366x384+0+0', '1366x384+0+384'],
    );
  });
});

describe('formatting', () => {
  it('durations and bitrates as the window shows them', () => {
    assert.equal(formatDuration(0), '0:00');
    assert.equal(formatDuration(75.6), '1:15');
    assert.equal(formatDuration(3725), '1:02:05');
    assert.equal(formatBitrate(800.4), '800 kbit/s');
    assert.equal(formatBitrate(2500), '2.5 Mbit/s');
  });
});

describe('accessNotice', () => {
  it('says nothing where no permission is needed or it is given', () => {
    for (const access of ['not-needed', 'granted', 'unknown'] as const)
      assert.equal(accessNotice(access), null);
  });

  it('explains a missing permission, with the settings button only where it helps', () => {
    const denied = accessNotice('denied');
    assert.match(denied?.text ?? '', /Privacy & Security → Screen Recording/);
    assert.equal(denied?.canOpenSettings, true);
    assert.equal(accessNotice('not-determined')?.canOpenSettings, true);
    assert.equal(accessNotice('restricted')?.canOpenSettings, false);
  });
});
