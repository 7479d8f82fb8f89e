import type { ReactElement } from 'react';

export interface PauseButtonProps {
  paused: boolean;
  /** Sharing is live (or restarting): pausing then changes what viewers see at once. */
  running: boolean;
  onPause: (paused: boolean) => void;
}

/**
 * Pause / Resume, and while paused a banner that cannot be missed: viewers stay connected and see a
 * still "Paused" card, not the screen. Paused before a start, the share begins with the card.
 */
export function PauseButton({ paused, running, onPause }: PauseButtonProps): ReactElement | null {
  if (!running && !paused) return null;
  return (
    <div className={paused ? 'pause pause-on' : 'pause'}>
      <button type="button" className="pause-button" aria-pressed={paused} onClick={() => onPause(!paused)}>
        {paused ? 'Resume sharing' : 'Pause sharing'}
      </button>
      {paused && (
        <p className="pause-status" role="status">
          {running
            ? 'Paused: viewers see a “Paused” card, and nothing of the screen.'
            : 'Paused: sharing will start with the “Paused” card.'}
        </p>
      )}
    </div>
  );
}
