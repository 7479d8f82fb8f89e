/**
 * A private PulseAudio daemon for sound tests: its own runtime dir, socket, state and cookie under a
 * temporary directory, no modules but a socket and null sinks, so nothing of the user's sound (or
 * another test file's) is touched. Running as root works: pulseaudio warns (it is meant for users) but
 * runs in per-user mode with the HOME and runtime paths given here.
 *
 * Devices: `speakers` (a null sink, the default output: `system` captures its monitor) and a microphone
 * `deskmic` ("Desk Microphone", a source remapped from the `deskmic_in` null sink, so a test can play
 * into it).
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { toneHz, type AvViewer } from './av-viewer.js';
import { spawnTracked, waitFor } from './processes.js';

const run = promisify(execFile);

export const SPEAKERS = 'speakers';
export const MIC_SINK = 'deskmic_in';
export const MIC = 'deskmic';

export interface Pulse {
  /** PULSE_SERVER and friends: give it to every child that is to use this daemon. */
  env: Record<string, string>;
  /** Plays a continuous sine of `hz` into `sink` until the child is killed. */
  playTone(sink: string, hz: number): ChildProcess;
  /** A player fed by `write` (48 kHz mono s16le), with ~10 ms of buffer: sound plays as soon as it is written. */
  player(sink: string): { write(pcm: Buffer): void; child: ChildProcess };
  /** Runs `pactl args` against this daemon. */
  pactl(args: string[]): Promise<string>;
  /** Kills the daemon (SIGKILL: a crash, not a goodbye) and waits for it to be gone. */
  kill(): Promise<void>;
  /** Starts it again with the same devices. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A sine burst: `ms` of `hz` at 48 kHz mono s16le, at half scale. */
export function sinePcm(hz: number, ms: number): Buffer {
  const samples = Math.round((48_000 * ms) / 1000);
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++)
    pcm.writeInt16LE(Math.round(16_000 * Math.sin((2 * Math.PI * hz * i) / 48_000)), i * 2);
  return pcm;
}

export async function startPulse(): Promise<Pulse> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkvcast-pulse-'));
  const runtime = path.join(dir, 'run');
  const state = path.join(dir, 'state');
  mkdirSync(runtime);
  mkdirSync(state);
  const socket = path.join(dir, 'native');
  writeFileSync(
    path.join(dir, 'default.pa'),
    [
      `load-module module-native-protocol-unix socket=${socket} auth-anonymous=1`,
      `load-module module-null-sink sink_name=${SPEAKERS} sink_properties=device.description=Speakers`,
      `load-module module-null-sink sink_name=${MIC_SINK} sink_properties=device.description=Desk_Mic_In`,
      `load-module module-remap-source master=${MIC_SINK}.monitor source_name=${MIC} source_properties=device.description=Desk_Microphone`,
      `set-default-sink ${SPEAKERS}`,
      `set-default-source ${MIC}`,
      '',
    ].join('\n'),
  );
  // Clients never start a daemon of their own (the user's) when this one is down.
  writeFileSync(path.join(dir, 'client.conf'), 'autospawn = no\n');
  const env = {
    PULSE_SERVER: `unix:${socket}`,
    PULSE_RUNTIME_PATH: runtime,
    PULSE_STATE_PATH: state,
    PULSE_CLIENTCONFIG: path.join(dir, 'client.conf'),
    PULSE_COOKIE: path.join(dir, 'cookie'),
    XDG_RUNTIME_DIR: runtime,
  };
  const childEnv = { ...process.env, ...env, HOME: dir };
  let daemon: ChildProcess | null = null;

  const start = async (): Promise<void> => {
    daemon = spawnTracked(
      'pulseaudio',
      [
        '--daemonize=no',
        '-n',
        '-F',
        path.join(dir, 'default.pa'),
        '--exit-idle-time=-1',
        '--use-pid-file=false',
        '--log-target=stderr',
        '--log-level=error',
      ],
      { env: childEnv, stdio: ['ignore', 'ignore', 'ignore'] },
    );
    await waitFor(
      'the private PulseAudio to answer',
      async () => {
        try {
          await run('pactl', ['info'], { env: childEnv, timeout: 2000 });
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
  };
  const kill = async (): Promise<void> => {
    const child = daemon;
    daemon = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.kill('SIGKILL');
    });
  };
  await start();
  return {
    env,
    playTone: (sink, hz) =>
      spawnTracked(
        'ffmpeg',
        [
          '-v',
          'error',
          '-re',
          '-f',
          'lavfi',
          '-i',
          `sine=f=${hz}:r=48000`,
          '-f',
          'pulse',
          '-device',
          sink,
          'tone',
        ],
        { env: childEnv, stdio: ['ignore', 'ignore', 'ignore'] },
      ),
    player: (sink) => {
      const child = spawnTracked(
        'pacat',
        [
          '--playback',
          '--raw',
          '--format=s16le',
          '--rate=48000',
          '--channels=1',
          '--latency-msec=10',
          `--device=${sink}`,
        ],
        { env: childEnv, stdio: ['pipe', 'ignore', 'ignore'] },
      );
      child.stdin?.on('error', () => {});
      return { child, write: (pcm) => void child.stdin?.write(pcm) };
    },
    pactl: async (args) => (await run('pactl', args, { env: childEnv, timeout: 5000 })).stdout,
    kill,
    start,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * After the sound server went away while `viewer` watched: the picture and the sound (silence) go on,
 * the server is started again, a 1 kHz tone is played to `sink`, and this resolves with that tone's
 * player (the caller kills it) once the viewer hears the tone again.
 */
export async function toneBackAfterOutage(
  viewer: AvViewer,
  pulse: Pulse,
  sink: string,
): Promise<ChildProcess> {
  const framesThen = viewer.video.length;
  const soundThen = viewer.pcm().length;
  await waitFor(
    'picture and sound (silence) going on',
    () => viewer.video.length > framesThen + 15 && viewer.pcm().length > soundThen + 96_000,
    { timeoutMs: 10_000 },
  );
  await pulse.start();
  const back = pulse.playTone(sink, 1000);
  try {
    // The last half second (48 kHz mono s16).
    await waitFor('the tone again', () => Math.abs(toneHz(viewer.pcm().subarray(-48_000)) - 1000) <= 5, {
      timeoutMs: 15_000,
    });
    return back;
  } catch (error) {
    back.kill('SIGKILL');
    throw error;
  }
}
