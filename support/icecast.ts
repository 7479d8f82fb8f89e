/**
 * A real Icecast 2 on loopback for tests and the bench: a generated config in a temp dir, started in
 * the foreground, ready when its status page answers. Run as root (CI), Icecast refuses to start unless
 * the config names a user to switch to (<security><changeowner>), so as root it does: nobody/nogroup.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { spawnTracked, waitFor } from './processes.js';

export interface Icecast {
  port: number;
  sourcePassword: string;
  /** `icecast://source:PASSWORD@HOST:PORT/MOUNT` (HOST: 127.0.0.1 unless given) */
  pushUrl(mount: string, host?: string): string;
  /** `http://127.0.0.1:PORT/MOUNT`, for listeners. */
  listenUrl(mount: string): string;
  /** The mounts with a source, from /status-json.xsl, with their listener counts. */
  mounts(): Promise<{ mount: string; listeners: number }[]>;
  /** Kills it (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same config. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function config(dir: string, port: number, password: string, maxClients: number, bind: string): string {
  return `<icecast>
  <location>test</location>
  <admin>test@localhost</admin>
  <hostname>127.0.0.1</hostname>
  <limits>
    <clients>${maxClients}</clients>
    <sources>4</sources>
    <queue-size>4194304</queue-size>
    <client-timeout>30</client-timeout>
    <header-timeout>15</header-timeout>
    <source-timeout>10</source-timeout>
    <burst-on-connect>1</burst-on-connect>
    <burst-size>65536</burst-size>
  </limits>
  <authentication>
    <source-password>${password}</source-password>
    <admin-user>admin</admin-user>
    <admin-password>${password}-admin</admin-password>
  </authentication>
  <listen-socket>
    <port>${port}</port>
    <bind-address>${bind}</bind-address>
  </listen-socket>
  <fileserve>1</fileserve>
  <paths>
    <basedir>${dir}</basedir>
    <logdir>${dir}</logdir>
    <webroot>/usr/share/icecast2/web</webroot>
    <adminroot>/usr/share/icecast2/admin</adminroot>
  </paths>
  <logging>
    <accesslog>access.log</accesslog>
    <errorlog>error.log</errorlog>
    <loglevel>2</loglevel>
  </logging>
  <security>
    <chroot>0</chroot>
    ${process.getuid?.() === 0 ? '<changeowner><user>nobody</user><group>nogroup</group></changeowner>' : ''}
  </security>
</icecast>
`;
}

export async function startIcecast(
  port: number,
  options: { maxClients?: number; bindAddress?: string } = {},
): Promise<Icecast> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mkvcast-icecast-'));
  // Icecast writes its logs as nobody once it has switched user.
  await chmod(dir, 0o777);
  const password = `pw${Math.random().toString(36).slice(2, 10)}`;
  const file = path.join(dir, 'icecast.xml');
  await writeFile(
    file,
    config(dir, port, password, options.maxClients ?? 100, options.bindAddress ?? '127.0.0.1'),
  );
  let child: ChildProcess | null = null;
  const statusUrl = `http://127.0.0.1:${port}/status-json.xsl`;
  const start = async (): Promise<void> => {
    const started = spawnTracked('icecast2', ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    started.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child = started;
    await waitFor(
      'Icecast to answer',
      async () => {
        if (started.exitCode !== null) throw new Error(`icecast2 exited (${started.exitCode}): ${stderr}`);
        return (await fetch(statusUrl)).ok;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
  };
  const kill = async (): Promise<void> => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('close', () => resolve());
      running.kill('SIGKILL');
    });
  };
  await start();
  return {
    port,
    sourcePassword: password,
    pushUrl: (mount, host = '127.0.0.1') => `icecast://source:${password}@${host}:${port}/${mount}`,
    listenUrl: (mount) => `http://127.0.0.1:${port}/${mount}`,
    async mounts() {
      const body = (await (await fetch(statusUrl)).json()) as {
        icestats: {
          source?: { listenurl: string; listeners: number } | { listenurl: string; listeners: number }[];
        };
      };
      const sources = body.icestats.source;
      const list = sources === undefined ? [] : Array.isArray(sources) ? sources : [sources];
      return list.map((s) => ({ mount: new URL(s.listenurl).pathname.slice(1), listeners: s.listeners }));
    },
    kill,
    restart: start,
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
