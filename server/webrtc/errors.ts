/** Errors of the WebRTC path, with stable codes and the fix a person can apply. */
export type WebRtcErrorCode =
  | 'BAD_AVCC'
  | 'BAD_NAL_LENGTH'
  | 'BAD_OFFER'
  | 'BAD_PLAYOUT_DELAY'
  | 'NO_H264'
  | 'UNSUPPORTED_STREAM'
  | 'NO_STREAM'
  | 'BAD_PORT_RANGE';

export class WebRtcError extends Error {
  override readonly name = 'WebRtcError';
  constructor(
    readonly code: WebRtcErrorCode,
    message: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
