/** A private X server for capture tests: Xvfb picks a free display number and tells us on a pipe. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Xvfb {
  /** `:N` */
  display: string;
  process: ChildProcess;
  /** Paints the root window one colour (`#rrggbb`). */
  paint(colour: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `Xvfb -screen 0 WxHx24 [-screen 1 …]` on a free display. */
export async function startXvfb(screens: { width: number; height: number }[]): Promise<Xvfb> {
  const args = ['-displayfd', '3', '-nolisten', 'tcp', '-noreset'];
  screens.forEach((s, i) => args.push('-screen', String(i), `${s.width}x${s.height}x24`));
  const child = spawn('Xvfb', args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  const number = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('Xvfb did not start within 10 s')), 10_000);
    const fd3 = child.stdio[3] as NodeJS.ReadableStream;
    fd3.setEncoding('utf8');
    fd3.on('data', (d: string) => {
      text += d;
      if (text.includes('\n')) {
        clearTimeout(timer);
        resolve(text.trim());
      }
    });
    child.once('error', (e) =>
      reject(new Error(`Xvfb could not start (apt-get install xvfb): ${e.message}`)),
    );
    child.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)));
  });
  const display = `:${number}`;
  return {
    display,
    process: child,
    paint: async (colour) => {
      await run('xsetroot', ['-solid', colour], { env: { ...process.env, DISPLAY: display } });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('close', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
