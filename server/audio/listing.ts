import { execFile } from 'node:child_process';
import type { AudioDeviceList } from '../api.js';
import type { CapturePlatform } from '../ffmpeg/capture.js';
import {
  parseAvfoundationDevices,
  parseDshowDevices,
  parsePactlInfo,
  parsePactlJsonSources,
  parsePactlTextSources,
  pulseDevices,
} from './devices.js';
import { AudioError } from './errors.js';

/** pactl answers in a few ms; a sound server that does not answer in this long is not there. */
const LIST_TIMEOUT_MS = 5000;

function run(
  binary: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ok: boolean; stdout: string; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile(
      binary,
      args,
      { env, timeout: LIST_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024, windowsHide: true },
      (error, stdout, stderr) => {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        resolve({ ok: !error, stdout: String(stdout), stderr: String(stderr), missing: code === 'ENOENT' });
      },
    );
  });
}

function unreachable(detail: string): AudioError {
  return new AudioError(
    'SOUND_SERVER_UNREACHABLE',
    `The sound server does not answer (${detail}), so no sound device can be listed or captured.`,
    'Start PulseAudio (pulseaudio --start), or PipeWire with pipewire-pulse, and check that `pactl info` ' +
      'answers; or share without sound (--audio none).',
  );
}

/** Linux: the sound server's sources, through `pactl` (PulseAudio, or PipeWire's pipewire-pulse). */
export async function listPulseDevices(env: NodeJS.ProcessEnv = process.env): Promise<AudioDeviceList> {
  const info = await run('pactl', ['info'], env);
  if (info.missing) throw unreachable('pactl is not installed: apt-get install pulseaudio-utils');
  if (!info.ok) throw unreachable(info.stderr.trim().split('\n')[0] || 'pactl info failed');
  const { defaultSink, defaultSource } = parsePactlInfo(info.stdout);
  const json = await run('pactl', ['-f', 'json', 'list', 'sources'], env);
  const sources = json.ok
    ? parsePactlJsonSources(json.stdout)
    : parsePactlTextSources((await run('pactl', ['list', 'sources'], env)).stdout);
  return pulseDevices(sources, defaultSink, defaultSource);
}

/** The sound devices of this machine, as ffmpeg can capture them. */
export async function listAudioDevices(
  platform: CapturePlatform,
  ffmpegPath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AudioDeviceList> {
  switch (platform) {
    case 'linux':
      return listPulseDevices(env);
    case 'win32':
      // ffmpeg prints the list on stderr and then fails to open "dummy": the exit code says nothing.
      return parseDshowDevices(
        (await run(ffmpegPath, ['-hide_banner', '-list_devices', 'true', '-f', 'dshow', '-i', 'dummy'], env))
          .stderr,
      );
    case 'darwin':
      return parseAvfoundationDevices(
        (
          await run(
            ffmpegPath,
            ['-hide_banner', '-f', 'avfoundation', '-list_devices', 'true', '-i', ''],
            env,
          )
        ).stderr,
      );
  }
}
