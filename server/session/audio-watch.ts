import type { AudioDevice, AudioDeviceList } from '../api.js';
import { resolveAudio } from '../audio/devices.js';
import { audioDeviceGone, AudioError } from '../audio/errors.js';
import type { AudioSource } from '../ffmpeg/audio.js';

/** The sound the encoder takes now: the device chosen, or silence in its place while it is away. */
export interface AudioNow {
  device: AudioDevice;
  silenced: boolean;
}

/** What to change, if anything, given the devices there are now: pure, so a unit test drives it. */
export function nextAudio(
  now: AudioNow,
  choice: string,
  list: AudioDeviceList | null,
): { next: AudioNow; reason: string; notice: AudioError | null } | null {
  let found: AudioDevice | null = null;
  if (list) {
    try {
      found = resolveAudio(choice, list);
    } catch {
      found = null;
    }
  }
  if (!found) {
    if (now.silenced) return null;
    return {
      next: { device: now.device, silenced: true },
      reason: `the sound device '${now.device.name}' went away: silence until it is back`,
      notice: audioDeviceGone(now.device.name),
    };
  }
  if (now.silenced)
    return {
      next: { device: found, silenced: false },
      reason: `the sound device '${found.name}' is back`,
      notice: null,
    };
  // `system` follows the default output: a new default (headphones plugged in) is what the speakers play.
  if (found.id !== now.device.id)
    return {
      next: { device: found, silenced: false },
      reason: `sound now from '${found.name}'`,
      notice: null,
    };
  return null;
}

export interface AudioWatchOptions {
  /** The setting: system, mic, or a device's name. */
  choice: string;
  device: AudioDevice;
  pollMs: number;
  /** The sound server's devices now; rejects when it does not answer (then every device is away). */
  list: () => Promise<AudioDeviceList>;
  /** The source changed: restart the encoder with `source()`; `notice` to show when there is one. */
  onChange: (reason: string, notice: AudioError | null) => void;
}

/**
 * Keeps the encoder's sound on the device while it is there and on silence while it is not: the sound
 * server restarting or a device unplugged leaves the picture and the viewers alone.
 */
export class AudioWatch {
  private now: AudioNow;
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly options: AudioWatchOptions) {
    this.now = { device: options.device, silenced: false };
  }

  get state(): AudioNow {
    return this.now;
  }

  /** What the next encoder run captures. */
  source(): AudioSource {
    return this.now.silenced ? { kind: 'silence' } : { kind: 'device', id: this.now.device.id };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.options.pollMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Looks at the devices now (one look at a time). */
  check(): Promise<void> {
    this.checking ??= this.look().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async look(): Promise<void> {
    const list = await this.options.list().catch(() => null);
    if (this.stopped) return;
    const change = nextAudio(this.now, this.options.choice, list);
    if (!change) return;
    this.now = change.next;
    this.options.onChange(change.reason, change.notice);
  }
}
