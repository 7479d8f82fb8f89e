/**
 * A recording stand-in for the `electron` module, for running the built main process
 * (dist/electron/main.js) under plain Node: test/main-process.test.ts forks it with
 * `--import ./fake-electron-register.js`, which makes `import … from 'electron'` resolve here.
 *
 * It implements the part of Electron's main-process API that main.ts uses, records every call in
 * order (with a `ready` marker where app's ready comes), and takes commands from the parent over the
 * fork's IPC channel: become ready, invoke an IPC handler as a window would, request a mkvcast:// URL,
 * close the window, emit an event, quit. `app.exit(code)` and a completed quit end the process.
 *
 * FAKE_ELECTRON_RECORD: a file the calls are written to (JSON) when the process exits through app.exit.
 * FAKE_ELECTRON_USER_DATA: app.getPath('userData'). FAKE_ELECTRON_FAULT=getPath: app.getPath throws,
 * as Electron does for a path it cannot find, to test a failure inside main().
 */
import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';

export interface Call {
  name: string;
  args: unknown[];
}

const calls: Call[] = [];

/** Functions and class instances do not cross the IPC channel: record what they are. */
function summary(value: unknown): unknown {
  if (typeof value === 'function') return '[function]';
  if (Array.isArray(value)) return value.map(summary);
  if (value && typeof value === 'object') {
    if (value.constructor !== Object) return `[${value.constructor.name}]`;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, summary(v)]));
  }
  return value;
}

function record(name: string, ...args: unknown[]): void {
  calls.push({ name, args: args.map(summary) });
}

class Cancellable {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

/** An emitter whose `on`/`once` are recorded as `<prefix>.on(<event>)`. */
class RecordingEmitter extends EventEmitter {
  constructor(private readonly prefix: string) {
    super();
  }
  override on(event: string | symbol, listener: (...args: never[]) => void): this {
    record(`${this.prefix}.on`, event);
    return super.on(event, listener as (...args: unknown[]) => void);
  }
  override once(event: string | symbol, listener: (...args: never[]) => void): this {
    record(`${this.prefix}.once`, event);
    return super.once(event, listener as (...args: unknown[]) => void);
  }
}

let ready = false;
let resolveReady: () => void = () => undefined;
const readyPromise = new Promise<void>((resolve) => (resolveReady = resolve));

class FakeApp extends RecordingEmitter {
  isPackaged = false;
  /** Switches as Electron's command line has them: from the process's arguments. */
  readonly commandLine = {
    hasSwitch: (name: string): boolean => {
      record('app.commandLine.hasSwitch', name);
      return process.argv.includes(`--${name}`);
    },
    /** `--name=value` on the command line; '' when absent, as Electron answers. */
    getSwitchValue: (name: string): string => {
      record('app.commandLine.getSwitchValue', name);
      const given = process.argv.find((arg) => arg.startsWith(`--${name}=`));
      return given === undefined ? '' : given.slice(name.length + 3);
    },
  };
  /** Electron ignores app.quit() while a quit is already closing the windows. */
  private closingWindows = false;
  constructor() {
    super('app');
  }
  requestSingleInstanceLock(): boolean {
    record('app.requestSingleInstanceLock');
    return true;
  }
  whenReady(): Promise<void> {
    record('app.whenReady');
    return readyPromise;
  }
  isReady(): boolean {
    return ready;
  }
  getPath(name: string): string {
    record('app.getPath', name);
    if (process.env.FAKE_ELECTRON_FAULT === 'getPath') throw new Error(`Failed to get '${name}' path`);
    return process.env.FAKE_ELECTRON_USER_DATA ?? '/nonexistent';
  }
  quit(): void {
    record('app.quit');
    const event = new Cancellable();
    this.emit('before-quit', event);
    if (event.defaultPrevented || this.closingWindows) return;
    this.closingWindows = true;
    for (const win of windows) {
      if (win.isDestroyed()) continue;
      const close = new Cancellable();
      win.emit('close', close);
      if (close.defaultPrevented) {
        this.closingWindows = false;
        return;
      }
      win.destroy();
    }
    this.emit('will-quit', new Cancellable());
    this.emit('quit');
    this.exit(0);
  }
  exit(code = 0): void {
    record('app.exit', code);
    if (process.env.FAKE_ELECTRON_RECORD)
      writeFileSync(process.env.FAKE_ELECTRON_RECORD, JSON.stringify(calls));
    process.exitCode = code;
    process.disconnect?.();
    // Let the IPC channel flush, then end as Electron's exit does, whatever is still open.
    setImmediate(() => process.exit(code));
  }
}

export const app = new FakeApp();

class FakeWebContents extends RecordingEmitter {
  readonly sent: { channel: string; payload: unknown }[] = [];
  private destroyed = false;
  constructor() {
    super('webContents');
  }
  setWindowOpenHandler(handler: unknown): void {
    record('webContents.setWindowOpenHandler', handler);
  }
  send(channel: string, payload: unknown): void {
    record('webContents.send', channel);
    this.sent.push({ channel, payload: structuredClone(payload) });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

const windows: FakeBrowserWindow[] = [];

export class FakeBrowserWindow extends RecordingEmitter {
  readonly webContents = new FakeWebContents();
  visible = false;
  size: [number, number];
  private destroyed = false;
  constructor(readonly options: { width: number; height: number; webPreferences?: object }) {
    super('window');
    record('new BrowserWindow', options);
    this.size = [options.width, options.height];
    windows.push(this);
    app.emit('web-contents-created', new Cancellable(), this.webContents);
  }
  loadURL(url: string): Promise<void> {
    record('window.loadURL', url);
    return Promise.resolve();
  }
  show(): void {
    record('window.show');
    this.visible = true;
  }
  hide(): void {
    record('window.hide');
    this.visible = false;
  }
  focus(): void {
    record('window.focus');
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {
    record('window.restore');
  }
  setMinimumSize(width: number, height: number): void {
    record('window.setMinimumSize', width, height);
  }
  setSize(width: number, height: number): void {
    record('window.setSize', width, height);
    this.size = [width, height];
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
    this.visible = false;
    this.webContents.destroy();
    this.emit('closed');
    if (windows.every((w) => w.isDestroyed())) app.emit('window-all-closed');
  }
}
export { FakeBrowserWindow as BrowserWindow };

export class Tray extends RecordingEmitter {
  constructor(image: unknown) {
    super('tray');
    record('new Tray', image);
  }
  setImage(image: unknown): void {
    record('tray.setImage', image);
  }
  setToolTip(text: string): void {
    record('tray.setToolTip', text);
  }
  setContextMenu(menu: unknown): void {
    record('tray.setContextMenu', menu);
  }
}

/** The tray menu main set last: 'tray-click' clicks one of its items by label. */
let trayMenu: { label?: string; enabled?: boolean; click?: () => void }[] = [];

export const Menu = {
  buildFromTemplate(template: { label?: string }[]): { items: { label?: string }[] } {
    trayMenu = template;
    record(
      'Menu.buildFromTemplate',
      template.map((item) => item.label ?? '-'),
    );
    return { items: template };
  },
};

type Handler = (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => unknown;
const handlers = new Map<string, Handler>();

export const ipcMain = {
  handle(channel: string, handler: Handler): void {
    record('ipcMain.handle', channel);
    if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    handlers.set(channel, handler);
  },
};

const schemeHandlers = new Map<string, (request: { url: string }) => Promise<Response> | Response>();

export const protocol = {
  registerSchemesAsPrivileged(schemes: unknown[]): void {
    record('protocol.registerSchemesAsPrivileged', schemes);
    if (ready) throw new Error('registerSchemesAsPrivileged should be called before app is ready');
  },
  handle(scheme: string, handler: (request: { url: string }) => Promise<Response>): void {
    record('protocol.handle', scheme);
    if (!ready) throw new Error('protocol.handle should be called after app is ready');
    schemeHandlers.set(scheme, handler);
  },
};

class FakeScreen extends RecordingEmitter {
  constructor() {
    super('screen');
  }
  private display(): { id: number; label: string; bounds: object; scaleFactor: number } {
    const [width, height] = (process.env.FAKE_ELECTRON_SCREEN ?? '640x360').split('x').map(Number);
    return { id: 1, label: 'Fake', bounds: { x: 0, y: 0, width, height }, scaleFactor: 1 };
  }
  getAllDisplays(): object[] {
    if (!ready) throw new Error("The 'screen' module can't be used before the app 'ready' event");
    return [this.display()];
  }
  getPrimaryDisplay(): object {
    return this.display();
  }
}
export const screen = new FakeScreen();

export const desktopCapturer = {
  getSources(options: unknown): Promise<unknown[]> {
    record('desktopCapturer.getSources', options);
    return Promise.resolve([]);
  },
};

export const shell = {
  openExternal(url: string): Promise<void> {
    record('shell.openExternal', url);
    return Promise.resolve();
  },
};

export const systemPreferences = {
  getMediaAccessStatus(kind: string): string {
    record('systemPreferences.getMediaAccessStatus', kind);
    return 'granted';
  },
};

export const clipboard = {
  writeText(text: string): void {
    record('clipboard.writeText', text);
  },
};

export const nativeImage = {
  createFromPath(path: string): { path: string; isEmpty(): boolean } {
    record('nativeImage.createFromPath', path);
    return { path, isEmpty: () => false };
  },
};

let messageBoxResponse = 2;

export const dialog = {
  showErrorBox(title: string, content: string): void {
    record('dialog.showErrorBox', title, content);
  },
  showMessageBox(...args: unknown[]): Promise<{ response: number; checkboxChecked: boolean }> {
    record('dialog.showMessageBox', ...args);
    return Promise.resolve({ response: messageBoxResponse, checkboxChecked: false });
  },
  showOpenDialog(...args: unknown[]): Promise<{ canceled: boolean; filePaths: string[] }> {
    record('dialog.showOpenDialog', ...args);
    return Promise.resolve({ canceled: true, filePaths: [] });
  },
  /** Answers FAKE_ELECTRON_SAVE_PATH, or cancelled when it is not set. */
  showSaveDialog(...args: unknown[]): Promise<{ canceled: boolean; filePath: string }> {
    record('dialog.showSaveDialog', ...args);
    const path = process.env.FAKE_ELECTRON_SAVE_PATH;
    return Promise.resolve(path ? { canceled: false, filePath: path } : { canceled: true, filePath: '' });
  },
};

export const session = {
  defaultSession: {
    setPermissionRequestHandler(handler: unknown): void {
      record('session.setPermissionRequestHandler', handler);
    },
    setPermissionCheckHandler(handler: unknown): void {
      record('session.setPermissionCheckHandler', handler);
    },
  },
};

export const powerMonitor = new RecordingEmitter('powerMonitor');

/** What the parent can ask (test/main-process.test.ts). */
export type Command =
  | { id: number; cmd: 'ready' }
  | { id: number; cmd: 'calls' }
  | { id: number; cmd: 'sent' }
  | { id: number; cmd: 'invoke'; channel: string; from: string; args: unknown[] }
  | { id: number; cmd: 'request'; url: string }
  | { id: number; cmd: 'close-window'; response: number }
  | { id: number; cmd: 'emit'; target: 'powerMonitor' | 'app'; event: string }
  | { id: number; cmd: 'quit' }
  | { id: number; cmd: 'tray-click'; label: string };

async function run(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'ready':
      ready = true;
      record('ready');
      resolveReady();
      app.emit('ready');
      return null;
    case 'calls':
      return calls;
    case 'sent':
      return windows.flatMap((w) => w.webContents.sent);
    case 'invoke': {
      const handler = handlers.get(command.channel);
      if (!handler) throw new Error(`No handler registered for '${command.channel}'`);
      return structuredClone(await handler({ senderFrame: { url: command.from } }, ...command.args));
    }
    case 'request': {
      const handler = schemeHandlers.get(new URL(command.url).protocol.slice(0, -1));
      if (!handler) throw new Error(`no handler for ${command.url}`);
      const response = await handler({ url: command.url });
      return {
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body: Buffer.from(await response.arrayBuffer()).toString('base64'),
      };
    }
    case 'close-window': {
      messageBoxResponse = command.response;
      const win = windows.find((w) => !w.isDestroyed());
      if (!win) throw new Error('no window');
      const event = new Cancellable();
      win.emit('close', event);
      if (!event.defaultPrevented) win.destroy();
      return { prevented: event.defaultPrevented };
    }
    case 'emit':
      (command.target === 'app' ? app : powerMonitor).emit(command.event, new Cancellable());
      return null;
    case 'quit':
      app.quit();
      return null;
    case 'tray-click': {
      const item = trayMenu.find((i) => i.label === command.label);
      if (!item?.click || item.enabled === false) {
        throw new Error(
          `no enabled tray item '${command.label}' in ${trayMenu.map((i) => i.label).join(', ')}`,
        );
      }
      item.click();
      return null;
    }
  }
}

process.on('message', (command: Command) => {
  run(command).then(
    (value) => process.send?.({ id: command.id, ok: true, value }),
    (error: unknown) => process.send?.({ id: command.id, ok: false, error: String(error) }),
  );
});
