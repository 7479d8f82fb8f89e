/**
 * The xdg-desktop-portal ScreenCast client: CreateSession → SelectSources → Start → OpenPipeWireRemote.
 * The D-Bus wire protocol is dbus-next's (pure JS). Receiving OpenPipeWireRemote's file descriptor
 * needs dbus-next's optional native transport, `usocket` (Node's net sockets cannot receive
 * SCM_RIGHTS), which does not build everywhere (not with Node 20 here). Without it the reader connects
 * to the user's PipeWire daemon itself and opens the granted node by its id: that works for an app
 * that is not sandboxed (a Flatpak would need the portal's fd).
 *
 * Every portal call answers at once with a Request object path, and the result comes later as that
 * Request's `Response(u code, a{sv} results)` signal (0 success, 1 cancelled by the user, 2 other).
 * The match rule for the signal is added before the call, on the path the portal will use
 * (`/org/freedesktop/portal/desktop/request/SENDER/TOKEN`), so a quick answer is never missed.
 */
import { randomBytes } from 'node:crypto';
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import dbus from 'dbus-next';
import { portalClosed, portalFailed, portalMissing, portalRefused, portalTimeout } from './errors.js';

const PORTAL = 'org.freedesktop.portal.Desktop';
const PORTAL_PATH = '/org/freedesktop/portal/desktop';
const SCREENCAST = 'org.freedesktop.portal.ScreenCast';
const REQUEST = 'org.freedesktop.portal.Request';
const SESSION = 'org.freedesktop.portal.Session';

/** SelectSources `types` bits and `cursor_mode` values, from the ScreenCast interface (version 4). */
export const SOURCE_TYPE = { monitor: 1, window: 2 } as const;
export const CURSOR_MODE = { hidden: 1, embedded: 2, metadata: 4 } as const;
/** `persist_mode` 2: the permission lasts until revoked, so a restore token skips the dialog next time. */
export const PERSIST_UNTIL_REVOKED = 2;

export type SourceKind = 'monitor' | 'window' | 'any';

export interface ScreenCastRequest {
  sources: SourceKind;
  /** The token of an earlier session; the desktop then shares the same screen without asking. */
  restoreToken?: string | null;
  /** How long the desktop's dialog may take (the user is choosing). */
  dialogTimeoutMs?: number;
}

/** One PipeWire stream the desktop granted. */
export interface CastStream {
  nodeId: number;
  /** The size the portal announced, when it did (a window can change it later). */
  width: number | null;
  height: number | null;
  sourceType: number | null;
}

/** A granted screen cast: the PipeWire stream and a way to connect to it. */
export interface ScreenCast {
  readonly stream: CastStream;
  /** The token to pass next time (null when the desktop gave none). */
  readonly restoreToken: string | null;
  /**
   * A new PipeWire connection for the stream: a file descriptor the caller owns and must close; null
   * when this process cannot receive one (no usocket), and the reader connects by itself.
   */
  openRemote(): Promise<number | null>;
  /**
   * The portal session closed, and a new one for the same screen (the restore token spares the dialog). xdg-desktop-portal-wlr 0.7 sends a second reader of a stream no frame until the screen
   * changes, so a restarted capture asks for a new stream, whose first frame comes at once.
   */
  renew(): Promise<void>;
  /** Called once when the desktop ends the cast (its own "stop sharing", or the portal exits). */
  onClosed(listener: () => void): void;
  /** Ends the cast and the D-Bus connection; idempotent. */
  close(): Promise<void>;
}

/** `:1.42` → `1_42`, as the portal names request paths. */
export function senderToken(uniqueName: string): string {
  return uniqueName.replace(/^:/, '').replace(/\./g, '_');
}

export function requestPath(uniqueName: string, handleToken: string): string {
  return `${PORTAL_PATH}/request/${senderToken(uniqueName)}/${handleToken}`;
}

/** The SelectSources options for a request. */
export function selectSourcesOptions(
  request: ScreenCastRequest,
  availableCursorModes: number,
): Record<string, { signature: string; value: unknown }> {
  const types =
    request.sources === 'monitor'
      ? SOURCE_TYPE.monitor
      : request.sources === 'window'
        ? SOURCE_TYPE.window
        : SOURCE_TYPE.monitor | SOURCE_TYPE.window;
  const options: Record<string, { signature: string; value: unknown }> = {
    types: { signature: 'u', value: types },
    multiple: { signature: 'b', value: false },
    persist_mode: { signature: 'u', value: PERSIST_UNTIL_REVOKED },
  };
  // The cursor drawn into the picture, as x11grab's -draw_mouse 1; a portal without it shows none.
  if (availableCursorModes & CURSOR_MODE.embedded)
    options.cursor_mode = { signature: 'u', value: CURSOR_MODE.embedded };
  if (request.restoreToken) options.restore_token = { signature: 's', value: request.restoreToken };
  return options;
}

/** The first stream of Start's `streams` result, a(ua{sv}). */
export function firstStream(streams: unknown): CastStream | null {
  if (!Array.isArray(streams) || streams.length === 0) return null;
  const [nodeId, props] = streams[0] as [number, Record<string, { value: unknown }>];
  const size = props?.size?.value as [number, number] | undefined;
  const sourceType = props?.source_type?.value;
  return {
    nodeId,
    width: Array.isArray(size) ? size[0] : null,
    height: Array.isArray(size) ? size[1] : null,
    sourceType: typeof sourceType === 'number' ? sourceType : null,
  };
}

const requireHere = createRequire(import.meta.url);
let fdTransport: boolean | null = null;

/** Whether dbus-next's fd-passing transport (the optional native usocket) loads here. */
export function canReceiveFds(): boolean {
  if (fdTransport === null) {
    try {
      requireHere.resolve('usocket', { paths: [requireHere.resolve('dbus-next')] });
      requireHere('usocket');
      fdTransport = true;
    } catch {
      fdTransport = false;
    }
  }
  return fdTransport;
}

const newToken = (): string => `mkvcast_${randomBytes(6).toString('hex')}`;

type Variants = Record<string, dbus.Variant>;

function variants(options: Record<string, { signature: string; value: unknown }>): Variants {
  const out: Variants = {};
  for (const [key, { signature, value }] of Object.entries(options))
    out[key] = new dbus.Variant(signature, value);
  return out;
}

/** Asks the desktop for a screen cast; resolves once the user (or a restore token) granted one. */
export async function startScreenCast(
  request: ScreenCastRequest,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ScreenCast> {
  if (!env.DBUS_SESSION_BUS_ADDRESS && !env.XDG_RUNTIME_DIR)
    throw portalMissing('no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set');
  let bus: dbus.MessageBus;
  try {
    // negotiateUnixFd is in dbus-next's code but not in its type declarations.
    const options = { busAddress: env.DBUS_SESSION_BUS_ADDRESS, negotiateUnixFd: canReceiveFds() };
    bus = dbus.sessionBus(options as dbus.SessionBusOptions);
  } catch (error) {
    throw portalMissing(`the D-Bus session bus cannot be reached: ${(error as Error).message}`, error);
  }
  const client = new PortalClient(bus, request.dialogTimeoutMs ?? 120_000);
  try {
    return await client.start(request);
  } catch (error) {
    await client.close();
    throw error;
  }
}

class PortalClient implements ScreenCast {
  stream: CastStream = { nodeId: 0, width: null, height: null, sourceType: null };
  restoreToken: string | null = null;
  private sessionHandle: string | null = null;
  private closed = false;
  private readonly closedListeners: (() => void)[] = [];
  private readonly waiting = new Map<string, (msg: dbus.Message) => void>();
  private busError: Error | null = null;
  /** Rejects when the connection to the bus fails: every call races it, so none waits forever. */
  private readonly busFailed: Promise<never>;

  constructor(
    private readonly bus: dbus.MessageBus,
    private readonly dialogTimeoutMs: number,
  ) {
    let fail: (error: Error) => void = () => {};
    this.busFailed = new Promise<never>((_, reject) => (fail = reject));
    this.busFailed.catch(() => {});
    bus.on('message', (msg) => this.onMessage(msg));
    bus.on('error', (error: Error) => {
      this.busError = error;
      fail(error);
      this.endedByDesktop();
    });
  }

  private lastRequest: ScreenCastRequest = { sources: 'monitor' };

  async renew(): Promise<void> {
    if (this.closed || !this.sessionHandle) throw portalClosed();
    // The old session goes first: xdg-desktop-portal-wlr shares one capture per output between its
    // sessions, and only a capture that starts anew sends a first frame without a change on screen.
    const old = this.sessionHandle;
    this.sessionHandle = null;
    await this.closeSession(old);
    await this.start({ ...this.lastRequest, restoreToken: this.restoreToken });
  }

  private async closeSession(handle: string): Promise<void> {
    const msg = new dbus.Message({ destination: PORTAL, path: handle, interface: SESSION, member: 'Close' });
    await Promise.race([
      this.bus.call(msg).catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 1000).unref()),
    ]);
  }

  async start(request: ScreenCastRequest): Promise<ScreenCast> {
    this.lastRequest = request;
    const version = await this.property('version', 'CreateSession');
    const cursorModes = await this.property('AvailableCursorModes', 'CreateSession').catch(() => 0);
    if (typeof version !== 'number' || version < 1)
      throw portalMissing('org.freedesktop.portal.ScreenCast has no version');
    const sessionToken = newToken();
    const created = await this.request('CreateSession', 'a{sv}', (handle) => [
      variants({
        handle_token: { signature: 's', value: handle },
        session_handle_token: { signature: 's', value: sessionToken },
      }),
    ]);
    const sessionHandle = created.session_handle?.value;
    if (typeof sessionHandle !== 'string')
      throw portalFailed('CreateSession', 'the answer had no session handle');
    this.sessionHandle = sessionHandle;
    await this.match(`type='signal',interface='${SESSION}',member='Closed',path='${sessionHandle}'`);

    const options = selectSourcesOptions(
      version >= 4 ? request : { ...request, restoreToken: null },
      Number(cursorModes),
    );
    if (version < 4) delete options.persist_mode;
    await this.request('SelectSources', 'oa{sv}', (handle) => [
      sessionHandle,
      variants({ ...options, handle_token: { signature: 's', value: handle } }),
    ]);
    const started = await this.request('Start', 'osa{sv}', (handle) => [
      sessionHandle,
      '',
      variants({ handle_token: { signature: 's', value: handle } }),
    ]);
    const stream = firstStream(started.streams?.value);
    if (!stream) throw portalFailed('Start', 'the desktop granted no stream');
    this.stream = stream;
    const token = started.restore_token?.value;
    this.restoreToken = typeof token === 'string' && token !== '' ? token : null;
    return this;
  }

  async openRemote(): Promise<number | null> {
    if (this.closed || !this.sessionHandle) throw portalClosed();
    // Without fd passing the bus would refuse the portal's answer: do not ask.
    if (!canReceiveFds()) return null;
    const reply = await this.call('OpenPipeWireRemote', 'oa{sv}', [this.sessionHandle, {}]);
    const fd = (reply.body as unknown[])[0];
    if (typeof fd !== 'number' || fd < 0)
      throw portalFailed(
        'OpenPipeWireRemote',
        'no file descriptor came with the answer (the optional npm package usocket is needed to receive it)',
      );
    if (this.closed) {
      closeSync(fd);
      throw portalClosed();
    }
    return fd;
  }

  onClosed(listener: () => void): void {
    this.closedListeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sessionHandle) await this.closeSession(this.sessionHandle);
    for (const resolve of this.waiting.values()) resolve(new dbus.Message({ type: 3, body: [] }));
    this.waiting.clear();
    this.bus.disconnect();
  }

  private endedByDesktop(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.closedListeners.splice(0)) listener();
    this.bus.disconnect();
  }

  private onMessage(msg: dbus.Message): void {
    if (msg.type !== dbus.MessageType.SIGNAL) return;
    if (msg.interface === REQUEST && msg.member === 'Response' && msg.path) {
      this.waiting.get(msg.path)?.(msg);
      this.waiting.delete(msg.path);
    } else if (msg.interface === SESSION && msg.member === 'Closed' && msg.path === this.sessionHandle) {
      this.endedByDesktop();
    }
  }

  /** One D-Bus call, failing at once when the bus connection does. */
  private send(msg: dbus.Message): Promise<dbus.Message | null> {
    return Promise.race([this.bus.call(msg), this.busFailed]);
  }

  private async match(rule: string): Promise<void> {
    await this.send(
      new dbus.Message({
        destination: 'org.freedesktop.DBus',
        path: '/org/freedesktop/DBus',
        interface: 'org.freedesktop.DBus',
        member: 'AddMatch',
        signature: 's',
        body: [rule],
      }),
    );
  }

  private async call(member: string, signature: string, body: unknown[]): Promise<dbus.Message> {
    try {
      const reply = await this.send(
        new dbus.Message({
          destination: PORTAL,
          path: PORTAL_PATH,
          interface: SCREENCAST,
          member,
          signature,
          body,
        }),
      );
      if (!reply) throw new Error('no reply');
      return reply;
    } catch (error) {
      throw this.dbusFailure(member, error);
    }
  }

  private async property(name: string, step: string): Promise<unknown> {
    try {
      const reply = await this.send(
        new dbus.Message({
          destination: PORTAL,
          path: PORTAL_PATH,
          interface: 'org.freedesktop.DBus.Properties',
          member: 'Get',
          signature: 'ss',
          body: [SCREENCAST, name],
        }),
      );
      return (reply?.body[0] as dbus.Variant | undefined)?.value;
    } catch (error) {
      throw this.dbusFailure(step, error);
    }
  }

  /** D-Bus errors that mean "no portal here" become PORTAL_MISSING; the rest PORTAL_FAILED. */
  private dbusFailure(step: string, error: unknown): Error {
    const name = (error as { type?: string }).type ?? '';
    const text = (error as Error).message ?? String(error);
    if (
      /ServiceUnknown|UnknownInterface|UnknownMethod|UnknownObject|NameHasNoOwner|InvalidArgs/.test(name) &&
      step !== 'OpenPipeWireRemote'
    )
      return portalMissing(`${name}: ${text}`, error);
    if (this.busError) return portalMissing(`the D-Bus session bus failed: ${this.busError.message}`, error);
    return portalFailed(step, `${name || 'error'}: ${text}`, error);
  }

  /** One portal request: the call, then its Response signal (0 granted, 1 cancelled, 2 failed). */
  private async request(
    member: string,
    signature: string,
    body: (handleToken: string) => unknown[],
  ): Promise<Record<string, { value: unknown }>> {
    const handle = newToken();
    const path = requestPath((this.bus as unknown as { name: string | null }).name ?? '', handle);
    await this.match(`type='signal',interface='${REQUEST}',member='Response',path='${path}'`);
    const response = new Promise<dbus.Message>((resolve) => this.waiting.set(path, resolve));
    await this.call(member, signature, body(handle));
    let timer: NodeJS.Timeout | undefined;
    const seconds = Math.round(this.dialogTimeoutMs / 1000);
    const msg = await Promise.race([
      response,
      this.busFailed,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(portalTimeout(member, seconds)), this.dialogTimeoutMs);
      }),
    ]).finally(() => {
      clearTimeout(timer);
      this.waiting.delete(path);
    });
    // The desktop closing the session before the cast started is how some dialogs refuse.
    if (this.closed) throw portalRefused(`${member} (the desktop closed the session)`);
    const [code, results] = msg.body as [number, Record<string, { value: unknown }>];
    if (code === 1) throw portalRefused(member);
    if (code !== 0) throw portalFailed(member, `the desktop answered ${code} (refused or failed)`);
    return results ?? {};
  }
}
