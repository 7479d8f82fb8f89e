export type HttpErrorCode = 'PORT_IN_USE' | 'PORT_FORBIDDEN' | 'ADDRESS_UNAVAILABLE' | 'LISTEN_FAILED';

/** The server could not listen: what happened, and what to do about it. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function listenError(error: NodeJS.ErrnoException, host: string, port: number): HttpError {
  switch (error.code) {
    case 'EADDRINUSE':
      return new HttpError(
        'PORT_IN_USE',
        `Port ${port} is in use by another program.`,
        `Pick another port, e.g. ${port === 65535 ? 8081 : port + 1} (--port on the command line).`,
        { cause: error },
      );
    case 'EACCES':
      return new HttpError(
        'PORT_FORBIDDEN',
        `Port ${port} needs administrator rights on this system.`,
        'Pick a port from 1024 to 65535, e.g. --port 8080.',
        { cause: error },
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAFNOSUPPORT':
      return new HttpError(
        'ADDRESS_UNAVAILABLE',
        `This machine has no address ${host} to listen on.`,
        'Use --host 0.0.0.0 (all interfaces) or one of the addresses `ip addr` lists.',
        { cause: error },
      );
    default:
      return new HttpError(
        'LISTEN_FAILED',
        `Could not listen on ${host}:${port}: ${error.message}.`,
        'Check --host and --port.',
        {
          cause: error,
        },
      );
  }
}
