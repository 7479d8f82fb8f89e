import type { OutputSize, Quality, Settings } from '../../server/api.js';

/** The settings form as typed: text as the person left it, turned into Settings only to be checked. */
export interface Draft {
  screenId: string;
  fps: string;
  keyframeIntervalSec: string;
  quality: Quality | 'custom';
  customKbps: string;
  port: string;
  host: string;
  maxViewers: string;
  ffmpegPath: string;
  encoder: string;
  /** Mbit/s; empty for no budget. */
  maxUploadMbit: string;
  /** What is shared: a whole screen, a part of it (`region`), or one window (`window`). */
  share: 'screen' | 'region' | 'window';
  region: string;
  window: string;
  outputSize: OutputSize;
  /** Settings.webrtcPorts: `low-high`, empty for any free port. */
  webrtcPorts: string;
  /** Settings.audio: `none`, `system`, `mic` or a device id (SoundPicker). */
  audio: string;
}

export function draftFromSettings(settings: Settings): Draft {
  return {
    screenId: settings.screenId,
    fps: String(settings.fps),
    keyframeIntervalSec: String(settings.keyframeIntervalSec),
    quality: typeof settings.quality === 'number' ? 'custom' : settings.quality,
    customKbps: typeof settings.quality === 'number' ? String(settings.quality) : '2500',
    port: String(settings.port),
    host: settings.host,
    maxViewers: String(settings.maxViewers),
    ffmpegPath: settings.ffmpegPath,
    encoder: settings.encoder,
    maxUploadMbit: settings.maxUploadMbit === null ? '' : String(settings.maxUploadMbit),
    share: settings.window ? 'window' : settings.region ? 'region' : 'screen',
    region: settings.region,
    window: settings.window,
    outputSize: settings.outputSize,
    webrtcPorts: settings.webrtcPorts,
    audio: settings.audio,
  };
}

/** Numbers are passed on even when they are not numbers: the main process says what is wrong. */
export function settingsFromDraft(draft: Draft, saved: Settings): Settings {
  const num = (text: string): number => (text.trim() === '' ? Number.NaN : Number(text));
  return {
    ...saved,
    screenId: draft.screenId,
    fps: num(draft.fps),
    keyframeIntervalSec: num(draft.keyframeIntervalSec),
    quality: draft.quality === 'custom' ? num(draft.customKbps) : draft.quality,
    port: num(draft.port),
    host: draft.host.trim(),
    maxViewers: num(draft.maxViewers),
    ffmpegPath: draft.ffmpegPath.trim(),
    encoder: draft.encoder.trim(),
    maxUploadMbit: draft.maxUploadMbit.trim() === '' ? null : num(draft.maxUploadMbit),
    // Only what the picker shows is shared: the other choice's value is kept in the draft, not sent.
    region: draft.share === 'region' ? draft.region.trim() : '',
    window: draft.share === 'window' ? draft.window : '',
    outputSize: draft.outputSize,
    webrtcPorts: draft.webrtcPorts.trim(),
    audio: draft.audio,
  };
}
