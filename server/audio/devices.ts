/**
 * Sound devices, from what each platform's tools print: PulseAudio's `pactl` (also PipeWire through
 * pipewire-pulse) on Linux, ffmpeg's dshow list on Windows and its avfoundation list on macOS. Pure
 * parsers over text; listing.ts runs the tools.
 */
import type { AudioDevice, AudioDeviceList } from '../api.js';
import { AudioError } from './errors.js';

/** One source as `pactl -f json list sources` gives it (the fields we read). */
interface PulseSource {
  name?: unknown;
  description?: unknown;
  monitor_source?: unknown;
  properties?: Record<string, unknown>;
}

/**
 * PulseAudio's sources. The system sound is the default sink's monitor (`<sink>.monitor`): a source that
 * hears what the speakers play. `mic` is the default source when it is not a monitor, else the first
 * source that is not one.
 */
export function pulseDevices(
  sources: { name: string; description: string; monitorOf: string | null }[],
  defaultSink: string | null,
  defaultSource: string | null,
): AudioDeviceList {
  const devices: AudioDevice[] = sources.map((s) => ({
    id: s.name,
    name: s.description || s.name,
    kind: s.monitorOf !== null ? 'output' : 'input',
  }));
  const system =
    sources.find((s) => defaultSink !== null && s.monitorOf === defaultSink) ??
    sources.find((s) => defaultSink !== null && s.name === `${defaultSink}.monitor`) ??
    sources.find((s) => s.monitorOf !== null);
  const inputs = devices.filter((d) => d.kind === 'input');
  const mic = inputs.find((d) => d.id === defaultSource) ?? inputs[0];
  const notes: string[] = [];
  if (!system) notes.push('No speakers here (no sound output device), so there is no system sound to share.');
  if (!mic) notes.push('No microphone here.');
  return { devices, systemId: system?.name ?? null, micId: mic?.id ?? null, notes };
}

/** `pactl -f json list sources` (pactl 16 and later). */
export function parsePactlJsonSources(
  json: string,
): { name: string; description: string; monitorOf: string | null }[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new AudioError(
      'SOUND_SERVER_UNREADABLE',
      'The sound server’s list of devices (pactl) could not be read.',
      'Check that PulseAudio or PipeWire (with pipewire-pulse) runs: `pactl info` should answer.',
      { cause: error },
    );
  }
  if (!Array.isArray(parsed)) return [];
  return (parsed as PulseSource[])
    .filter((s) => typeof s.name === 'string')
    .map((s) => ({
      name: s.name as string,
      description: typeof s.description === 'string' ? s.description : '',
      monitorOf:
        typeof s.monitor_source === 'string' && s.monitor_source !== '' && s.monitor_source !== 'n/a'
          ? s.monitor_source
          : s.properties?.['device.class'] === 'monitor'
            ? (s.name as string).replace(/\.monitor$/, '')
            : null,
    }));
}

/** `pactl list sources` in its text form (pactl before 16 has no JSON). */
export function parsePactlTextSources(
  text: string,
): { name: string; description: string; monitorOf: string | null }[] {
  const sources: { name: string; description: string; monitorOf: string | null }[] = [];
  for (const block of text.split(/^Source #\d+\s*$/m).slice(1)) {
    const field = (label: string): string | null => {
      const m = new RegExp(`^\\s*${label}:[ \\t]*(.*)$`, 'm').exec(block);
      return m ? m[1].trim() : null;
    };
    const name = field('Name');
    if (!name) continue;
    const monitor = field('Monitor of Sink');
    sources.push({
      name,
      description: field('Description') ?? '',
      monitorOf: monitor && monitor !== 'n/a' ? monitor : null,
    });
  }
  return sources;
}

/** `Default Sink: x` / `Default Source: y` from `pactl info` (text; the same in every version). */
export function parsePactlInfo(text: string): { defaultSink: string | null; defaultSource: string | null } {
  const pick = (label: string): string | null => {
    const m = new RegExp(`^${label}:[ \\t]*(\\S+)`, 'm').exec(text);
    return m && m[1] !== '@DEFAULT_SINK@' ? m[1] : null;
  };
  return { defaultSink: pick('Default Sink'), defaultSource: pick('Default Source') };
}

/** Windows devices that hear what the speakers play (ffmpeg's dshow has no WASAPI loopback). */
const DSHOW_LOOPBACK =
  /stereo ?mix|what u hear|wave out|loopback|virtual-audio-capturer|cable output|mix(ed)? output/i;

/**
 * ffmpeg's `-list_devices true -f dshow -i dummy` (on stderr). ffmpeg 4.4 and later mark each device
 * `"Name" (audio)`; older ones list audio devices under a "DirectShow audio devices" heading.
 */
export function parseDshowDevices(stderr: string): AudioDeviceList {
  const devices: AudioDevice[] = [];
  let section: 'video' | 'audio' | null = null;
  for (const raw of stderr.split(/\r?\n/)) {
    const line = raw.replace(/^\[[^\]]*\]\s?/, '');
    if (/DirectShow video devices/i.test(line)) section = 'video';
    else if (/DirectShow audio devices/i.test(line)) section = 'audio';
    if (/^\s*Alternative name/i.test(line)) continue;
    const m = /^\s*"(.+)"(?:\s+\((audio|video|none)(?:,\s*(audio|video))?\))?\s*$/.exec(line);
    if (!m) continue;
    const tagged = m[2] !== undefined;
    const isAudio = tagged ? m[2] === 'audio' || m[3] === 'audio' : section === 'audio';
    if (!isAudio) continue;
    devices.push({ id: m[1], name: m[1], kind: DSHOW_LOOPBACK.test(m[1]) ? 'output' : 'input' });
  }
  const system = devices.find((d) => d.kind === 'output');
  const mic = devices.find((d) => d.kind === 'input');
  const notes: string[] = [];
  if (!system)
    notes.push(
      'No device here plays back what the speakers play, so system sound cannot be shared. Turn on ' +
        '"Stereo Mix" (Sound settings → Recording → Show disabled devices), or install a loopback ' +
        'device such as VB-CABLE, then list the devices again.',
    );
  if (!mic) notes.push('No microphone here.');
  return { devices, systemId: system?.id ?? null, micId: mic?.id ?? null, notes };
}

/** macOS devices that hear what the speakers play: the system offers none of its own. */
const MAC_LOOPBACK = /blackhole|soundflower|loopback|background music|aggregate|multi-output/i;

/** ffmpeg's `-f avfoundation -list_devices true -i ""` (on stderr): `[0] Name` under each heading. */
export function parseAvfoundationDevices(stderr: string): AudioDeviceList {
  const devices: AudioDevice[] = [];
  let inAudio = false;
  for (const raw of stderr.split(/\r?\n/)) {
    const line = raw.replace(/^\[[^\]]*\]\s?/, '');
    if (/AVFoundation video devices/i.test(line)) inAudio = false;
    else if (/AVFoundation audio devices/i.test(line)) inAudio = true;
    const m = /^\s*\[(\d+)\]\s+(.+?)\s*$/.exec(line);
    if (!m || !inAudio) continue;
    devices.push({ id: m[1], name: m[2], kind: MAC_LOOPBACK.test(m[2]) ? 'output' : 'input' });
  }
  const system = devices.find((d) => d.kind === 'output');
  const mic = devices.find((d) => d.kind === 'input');
  const notes: string[] = [];
  if (!system)
    notes.push(
      'macOS does not let apps record what the speakers play without a loopback device. Install one ' +
        'such as BlackHole (brew install blackhole-2ch), make a Multi-Output Device with it and your ' +
        'speakers in Audio MIDI Setup, choose it as the output, then list the devices again.',
    );
  if (!mic) notes.push('No microphone here.');
  return { devices, systemId: system?.id ?? null, micId: mic?.id ?? null, notes };
}

/** What `audio: system|mic|NAME` opens, from the devices listed: its id and name, or a field error. */
export function resolveAudio(choice: string, list: AudioDeviceList): AudioDevice {
  const byId = (id: string | null): AudioDevice | undefined => list.devices.find((d) => d.id === id);
  if (choice === 'system') {
    const device = byId(list.systemId);
    if (device) return device;
    throw new AudioError(
      'AUDIO_DEVICE_NOT_FOUND',
      'There is no system sound to share on this machine.',
      list.notes[0] ?? 'Pick a device from the list of sound devices.',
    );
  }
  if (choice === 'mic') {
    const device = byId(list.micId);
    if (device) return device;
    throw new AudioError(
      'AUDIO_DEVICE_NOT_FOUND',
      'There is no microphone on this machine.',
      'Plug one in, or pick another sound device (mkvcast share --list-audio lists them).',
    );
  }
  const wanted = choice.toLowerCase();
  const device =
    list.devices.find((d) => d.id === choice) ??
    list.devices.find((d) => d.name === choice) ??
    list.devices.find((d) => d.name.toLowerCase() === wanted || d.id.toLowerCase() === wanted);
  if (device) return device;
  const known = list.devices.map((d) => `'${d.name}'`).join(', ');
  throw new AudioError(
    'AUDIO_DEVICE_NOT_FOUND',
    `There is no sound device called '${choice}'.`,
    `Pick one of ${known || 'the devices (none found)'}, or system, mic or none; ` +
      '`mkvcast share --list-audio` lists them.',
  );
}
