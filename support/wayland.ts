/**
 * A private headless Wayland desktop for tests: sway (headless backend, pixman renderer) with a full
 * screen foot whose background a test sets through OSC 11, a private D-Bus session bus, PipeWire,
 * WirePlumber, xdg-desktop-portal and xdg-desktop-portal-wlr (no chooser: the one output is shared).
 *
 * sway refuses to run as root, so as root it (and foot, its client) runs as nobody (65534) with the
 * runtime folder given to that user; the rest runs as the test's user, which as root can still use
 * nobody's sockets. The portal-wlr that works without GPU buffers is built by .ci/build-portal-wlr.sh.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spawnTracked } from './processes.js';

const run = promisify(execFile);
const NOBODY = 65534;

export type Chooser = 'none' | 'refuse';

export interface WaylandDesktop {
  /** The session's environment: WAYLAND_DISPLAY, XDG_RUNTIME_DIR, DBUS_SESSION_BUS_ADDRESS, … */
  env: NodeJS.ProcessEnv;
  width: number;
  height: number;
  /** Sets foot's background (`#rrggbb`), which fills the screen. */
  setColour(colour: string): Promise<void>;
  /** One pixel as the compositor shows it (grim), as [r, g, b]. */
  pixel(x: number, y: number): Promise<[number, number, number]>;
  /** Restarts xdg-desktop-portal-wlr so that its dialog shares the output ('none') or refuses. */
  setChooser(chooser: Chooser): Promise<void>;
  stop(): Promise<void>;
}

/** What the desktop needs and this machine lacks (CI installs them: .ci/run). */
export function waylandDesktopMissing(): string[] {
  const needed = [
    '/usr/bin/sway',
    '/usr/bin/foot',
    '/usr/bin/grim',
    '/usr/bin/pipewire',
    '/usr/bin/wireplumber',
    '/usr/bin/dbus-daemon',
    '/usr/bin/gst-launch-1.0',
    '/usr/libexec/xdg-desktop-portal',
    '/usr/libexec/xdg-desktop-portal-wlr',
  ];
  return needed.filter((path) => !existsSync(path));
}

/** Polls `check` until it is true, or fails with `what` after `timeoutMs`. */
async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`headless Wayland desktop: ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startWaylandDesktop(
  options: { width?: number; height?: number; chooser?: Chooser } = {},
): Promise<WaylandDesktop> {
  const width = options.width ?? 1280;
  const height = options.height ?? 720;
  const missing = waylandDesktopMissing();
  if (missing.length > 0)
    throw new Error(`headless Wayland desktop: missing ${missing.join(', ')} (see .ci/run)`);
  const asRoot = process.getuid?.() === 0;
  const home = mkdtempSync(join(tmpdir(), 'mkvcast-wayland-'));
  const runtime = join(home, 'run');
  // nobody must reach the runtime folder inside it.
  chmodSync(home, 0o755);
  await run('mkdir', ['-m', '0700', runtime]);
  if (asRoot) chownSync(runtime, NOBODY, NOBODY);
  // The session as every process of it sees it.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_RUNTIME_DIR: runtime,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_STATE_HOME: join(home, 'state'),
    XDG_SESSION_TYPE: 'wayland',
    XDG_CURRENT_DESKTOP: 'sway',
    WLR_BACKENDS: 'headless',
    WLR_RENDERER: 'pixman',
    WLR_LIBINPUT_NO_DEVICES: '1',
  };
  const children: ChildProcess[] = [];
  let userLog = '';
  const asUser = (binary: string, args: string[]): ChildProcess => {
    const [bin, argv] = asRoot
      ? ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', binary, ...args]]
      : [binary, args];
    const child = spawnTracked(bin, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      userLog = (userLog + text).slice(-2000);
    });
    children.push(child);
    return child;
  };
  const spawnHere = (binary: string, args: string[], stdout: 'ignore' | 'pipe' = 'ignore'): ChildProcess => {
    const child = spawnTracked(binary, args, { env, stdio: ['ignore', stdout, stdout] });
    if (stdout === 'pipe') child.stderr?.resume();
    children.push(child);
    return child;
  };
  const stopAll = async (): Promise<void> => {
    for (const child of children.splice(0).reverse()) await stopChild(child);
    rmSync(home, { recursive: true, force: true });
  };

  try {
    const swayConfig = join(home, 'sway.conf');
    writeFileSync(
      swayConfig,
      [
        `output HEADLESS-1 resolution ${width}x${height} position 0 0`,
        'xwayland disable',
        'default_border none',
        'seat * hide_cursor 100',
        'for_window [app_id="mkvcast-screen"] fullscreen enable',
        '',
      ].join('\n'),
    );
    asUser('sway', ['-c', swayConfig]);
    let socket = '';
    await waitFor('sway made no Wayland socket', () => {
      socket = readdirSync(runtime).find((name) => /^wayland-\d+$/.test(name)) ?? '';
      return socket !== '';
    }).catch((error: Error) => {
      throw new Error(`${error.message}; sway said: ${userLog}`);
    });
    env.WAYLAND_DISPLAY = socket;

    // foot shows what is written into the FIFO: OSC 11 sets its background, which fills the screen.
    const fifo = join(runtime, 'screen-colour');
    await run('mkfifo', ['-m', '0600', fifo]);
    if (asRoot) chownSync(fifo, NOBODY, NOBODY);
    asUser('foot', [
      '--app-id=mkvcast-screen',
      '--',
      'sh',
      '-c',
      `printf '\\033[?25l'; while :; do cat '${fifo}'; done`,
    ]);
    // A write can open the FIFO just as the previous `cat` sees its end and exits: EPIPE, write again.
    const setColour = async (colour: string): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await writeFile(fifo, `\x1b]11;${colour}\x07`);
        } catch (error) {
          if ((error as { code?: string }).code !== 'EPIPE' || attempt >= 5) throw error;
        }
      }
    };
    const pixel = async (x: number, y: number): Promise<[number, number, number]> => {
      const { stdout } = await run('grim', ['-t', 'ppm', '-g', `${x},${y} 1x1`, '-'], {
        env,
        encoding: 'buffer',
      });
      const rgb = stdout.subarray(stdout.length - 3);
      return [rgb[0], rgb[1], rgb[2]];
    };
    await setColour('#000000');
    await waitFor('foot did not fill the screen', async () => {
      await setColour('#010203');
      const [r, g, b] = await pixel(width >> 1, height >> 1);
      return r === 1 && g === 2 && b === 3;
    });

    const dbus = spawnHere(
      'dbus-daemon',
      ['--session', '--nofork', '--print-address=1', `--address=unix:path=${join(runtime, 'bus')}`],
      'pipe',
    );
    env.DBUS_SESSION_BUS_ADDRESS = await new Promise<string>((resolve, reject) => {
      let text = '';
      dbus.stdout?.setEncoding('utf8');
      dbus.stdout?.on('data', (d: string) => {
        text += d;
        if (text.includes('\n')) resolve(text.split('\n')[0]);
      });
      dbus.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${code}`)));
    });
    const hasName = async (name: string): Promise<boolean> => {
      const { stdout } = await run(
        'dbus-send',
        [
          '--session',
          '--print-reply',
          '--dest=org.freedesktop.DBus',
          '/org/freedesktop/DBus',
          'org.freedesktop.DBus.NameHasOwner',
          `string:${name}`,
        ],
        { env },
      );
      return /boolean true/.test(stdout);
    };

    spawnHere('pipewire', []);
    await waitFor('PipeWire made no socket', () => existsSync(join(runtime, 'pipewire-0')));
    spawnHere('wireplumber', []);

    let wlr: ChildProcess | null = null;
    const setChooser = async (chooser: Chooser): Promise<void> => {
      if (wlr) {
        const old = wlr;
        children.splice(children.indexOf(old), 1);
        await stopChild(old);
        await waitFor('the old portal-wlr kept its name', async () => !(await hasName(WLR_NAME)));
      }
      const config = join(home, `portal-wlr-${chooser}.conf`);
      // 'refuse': a chooser that chooses nothing, as a user closing the desktop's dialog.
      writeFileSync(
        config,
        chooser === 'none'
          ? '[screencast]\nchooser_type=none\noutput_name=HEADLESS-1\nmax_fps=30\n'
          : '[screencast]\nchooser_type=simple\nchooser_cmd=false\n',
      );
      wlr = spawnHere(
        '/usr/libexec/xdg-desktop-portal-wlr',
        ['-r', '-c', config, '-l', process.env.MKVCAST_WAYLAND_LOG ? 'TRACE' : 'ERROR'],
        'pipe',
      );
      if (!process.env.MKVCAST_WAYLAND_LOG) wlr.stdout?.resume();
      // MKVCAST_WAYLAND_LOG=FILE keeps the portal's log, to see why a cast did or did not stream.
      const log = process.env.MKVCAST_WAYLAND_LOG;
      if (log) {
        wlr.stdout?.pipe(createWriteStream(log, { flags: 'a' }));
        wlr.stderr?.removeAllListeners('data');
        wlr.stderr?.pipe(createWriteStream(log, { flags: 'a' }));
      }
      await waitFor('xdg-desktop-portal-wlr did not take its bus name', () => hasName(WLR_NAME));
    };
    await setChooser(options.chooser ?? 'none');
    spawnHere('/usr/libexec/xdg-desktop-portal', ['-r']);
    await waitFor('xdg-desktop-portal did not take its bus name', () =>
      hasName('org.freedesktop.portal.Desktop'),
    );
    return { env, width, height, setColour, pixel, setChooser, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

const WLR_NAME = 'org.freedesktop.impl.portal.desktop.wlr';
