import type { AudioDeviceList, SessionStats } from '../../server/api.js';

/** The meter's scale: at or below FLOOR_DB is shown as silence (a quiet room reads about -60 dBFS). */
export const FLOOR_DB = -60;

export interface SoundOption {
  /** Settings.audio: `system`, `mic` or a device id. */
  value: string;
  label: string;
  /** Not on this computer (no loopback device, no microphone): shown, but cannot be picked. */
  off: boolean;
}

/** What the picker offers: `system` and `mic` (named after their device), then every device by its name. */
export function soundOptions(list: AudioDeviceList | null, value: string): SoundOption[] {
  const nameOf = (id: string | null): string | undefined => list?.devices.find((d) => d.id === id)?.name;
  const system = nameOf(list?.systemId ?? null);
  const mic = nameOf(list?.micId ?? null);
  const none = ' — none on this computer';
  const shown: SoundOption[] = [
    list?.systemId === null
      ? { value: 'system', label: `System sound${none}`, off: true }
      : { value: 'system', label: system ? `System sound (${system})` : 'System sound', off: false },
    list?.micId === null
      ? { value: 'mic', label: `Microphone${none}`, off: true }
      : { value: 'mic', label: mic ? `Microphone (${mic})` : 'Microphone', off: false },
    ...(list?.devices ?? []).map((d) => ({ value: d.id, label: d.name, off: false })),
  ];
  // A saved device that is not here now (unplugged) stays shown, so the choice is not changed silently.
  if (value !== 'none' && !shown.some((o) => o.value === value)) {
    shown.push({ value, label: `${value} (not found now)`, off: false });
  }
  return shown;
}

/** What turning "Share sound" on picks: the source picked before, else system sound, else the microphone. */
export function soundWhenOn(lastChoice: string | null, list: AudioDeviceList | null): string {
  if (lastChoice !== null) return lastChoice;
  return list?.systemId === null && list.micId !== null ? 'mic' : 'system';
}

/** The words next to the level meter. */
export function levelText(level: NonNullable<SessionStats['audio']>): string {
  if (level.silenced) return `${level.device} is gone: viewers get silence until it comes back`;
  if (level.levelDb === null) return 'Waiting for the first reading…';
  if (level.levelDb <= FLOOR_DB) return 'Silence';
  return `${Math.round(level.levelDb)} dBFS`;
}

/** The stream's audio track for people: `Opus, 48 kHz, stereo`. */
export function trackText(track: NonNullable<NonNullable<SessionStats['audio']>['track']>): string {
  const codec = track.codec === 'opus' ? 'Opus' : track.codec;
  const rate = track.sampleRate ? `${track.sampleRate / 1000} kHz` : null;
  const channels =
    track.channels === 1
      ? 'mono'
      : track.channels === 2
        ? 'stereo'
        : track.channels
          ? `${track.channels} channels`
          : null;
  return [codec, rate, channels].filter(Boolean).join(', ');
}
