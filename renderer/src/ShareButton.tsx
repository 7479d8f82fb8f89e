import type { ReactElement } from 'react';
import type { SessionState } from '../../server/api.js';
import { formatDuration } from './format';

export interface ShareButtonProps {
  state: SessionState;
  uptimeSec: number;
  /** Saving the settings before a start is under way. */
  busy: boolean;
  /** Sharing is paused: viewers see the "Paused" card, so the line must not say "Live". */
  paused?: boolean;
  onStart: () => void;
  onStop: () => void;
}

/** The one button, and a line saying what the session is doing. */
export function ShareButton({
  state,
  uptimeSec,
  busy,
  paused = false,
  onStart,
  onStop,
}: ShareButtonProps): ReactElement {
  const running = state.kind === 'live' || state.kind === 'restarting';
  const label = busy
    ? 'Starting…'
    : {
        idle: 'Start sharing',
        error: 'Start sharing',
        starting: 'Starting…',
        live: 'Stop sharing',
        restarting: 'Stop sharing',
        stopping: 'Stopping…',
      }[state.kind];
  const disabled = busy || state.kind === 'starting' || state.kind === 'stopping';
  return (
    <div className={`share share-${state.kind}`}>
      <button type="button" className="share-button" disabled={disabled} onClick={running ? onStop : onStart}>
        {label}
      </button>
      <p className="share-status" role="status">
        {state.kind === 'live' &&
          (paused
            ? `Paused (sharing for ${formatDuration(uptimeSec)}), viewers see the card`
            : `Live for ${formatDuration(uptimeSec)}`)}
        {state.kind === 'restarting' &&
          `Restarting… ${state.reason}${state.attempt > 1 ? ` (attempt ${state.attempt})` : ''}`}
        {state.kind === 'idle' && 'Not sharing.'}
        {state.kind === 'starting' && 'Starting the capture…'}
        {state.kind === 'stopping' && 'Stopping…'}
        {state.kind === 'error' && 'Sharing stopped.'}
      </p>
    </div>
  );
}
