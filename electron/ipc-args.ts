/** Checks for what arrives over IPC: every handler's sender and arguments, before anything runs. */

export class IpcArgumentError extends Error {
  override readonly name = 'IpcArgumentError';
  readonly code = 'BAD_IPC_ARGUMENT';
  readonly fix = 'This is a bug in mkvcast: please report it with what you did.';
}

/** A request from a page that is not the app's own window (its page navigated, or another frame). */
export class IpcSenderError extends Error {
  override readonly name = 'IpcSenderError';
  readonly code = 'IPC_SENDER_REFUSED';
  readonly fix =
    'Use the mkvcast window; if this is it, close it and open it again from the tray or the app icon.';
  constructor(channel: string) {
    super(`${channel} refused: the request did not come from the mkvcast window`);
  }
}

/**
 * Whether a request comes from the app's own page: the same scheme, host and path as the index the
 * window loaded (`mkvcast://app/index.html`; a fragment or query does not matter), never another page.
 */
export function isAppSender(frameUrl: string | undefined | null, appUrl: string): boolean {
  if (!frameUrl) return false;
  let from: URL;
  let app: URL;
  try {
    from = new URL(frameUrl);
    app = new URL(appUrl);
  } catch {
    return false;
  }
  return from.protocol === app.protocol && from.host === app.host && from.pathname === app.pathname;
}

/** A request that takes no arguments got none. */
export function noArgs(args: readonly unknown[]): void {
  if (args.length > 0) throw new IpcArgumentError(`expected no arguments, got ${args.length}`);
}

/** A viewer id as the server makes them: short and URL-safe. */
export function viewerIdArg(args: readonly unknown[]): string {
  const [id] = args;
  if (args.length !== 1 || typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    throw new IpcArgumentError('expected one viewer id');
  }
  return id;
}

/** Text to copy: one line, bounded. */
export function copyTextArg(args: readonly unknown[]): string {
  const [text] = args;
  // eslint-disable-next-line no-control-regex
  if (args.length !== 1 || typeof text !== 'string' || text.length > 2048 || /[\u0000-\u001f]/.test(text)) {
    throw new IpcArgumentError('expected one line of text to copy');
  }
  return text;
}

/** A settings object; its fields are checked by validateSettings. */
export function settingsArg(args: readonly unknown[]): Record<string, unknown> {
  const [value] = args;
  if (args.length !== 1 || typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new IpcArgumentError('expected one settings object');
  }
  return value as Record<string, unknown>;
}

/** One true or false (pause, resume). */
export function booleanArg(args: readonly unknown[]): boolean {
  const [value] = args;
  if (args.length !== 1 || typeof value !== 'boolean') throw new IpcArgumentError('expected true or false');
  return value;
}

/** A push URL typed in the window: one line, bounded (push-target's parser checks the rest). */
export function pushUrlArg(args: readonly unknown[]): string {
  const [url] = args;
  // eslint-disable-next-line no-control-regex
  if (args.length !== 1 || typeof url !== 'string' || url.length > 2048 || /[\u0000-\u001f]/.test(url)) {
    throw new IpcArgumentError('expected one push URL');
  }
  return url;
}

/** A push id as PushList makes them: short and URL-safe. */
export function pushIdArg(args: readonly unknown[]): string {
  const [id] = args;
  if (args.length !== 1 || typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    throw new IpcArgumentError('expected one push id');
  }
  return id;
}
