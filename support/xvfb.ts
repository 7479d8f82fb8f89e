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
  /**
   * Changes the size of screen 0 through RandR, as a resolution change on a real desktop does. Xvfb
   * (21.1) switches to any mode up to the size it started with, never larger.
   */
  setScreenSize(width: number, height: number): Promise<void>;
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
    setScreenSize: async (width, height) => {
      const env = { ...process.env, DISPLAY: display };
      const mode = `${width}x${height}`;
      const { stdout } = await run('xrandr', ['-q'], { env });
      const output = /^(\S+) connected/m.exec(stdout)?.[1] ?? 'screen';
      if (!new RegExp(`^\\s+${mode}\\s`, 'm').test(stdout)) {
        // Xvfb ignores the timings; only the visible size matters.
        const timings = [
          width,
          width + 8,
          width + 16,
          width + 24,
          height,
          height + 1,
          height + 2,
          height + 3,
        ];
        await run('xrandr', ['--newmode', mode, '10', ...timings.map(String)], { env });
        await run('xrandr', ['--addmode', output, mode], { env });
      }
      await run('xrandr', ['--output', output, '--mode', mode], { env });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('close', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
