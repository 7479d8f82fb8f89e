import { useEffect, useState, type ReactElement } from 'react';
import type { CaptureWay } from '../../server/api.js';
import type { Draft } from './draft';
import type { FieldProblem } from './Field';
import { api, errorText } from './mkvcast';

/** The text in place of the screen list on Wayland: what the person will see when sharing starts. */
export const PORTAL_PICKER_TEXT = 'Your desktop will ask which screen or window to share.';

/** How this app captures (asked once); null until main answers. */
export function useCaptureWay(): CaptureWay | null {
  const [way, setWay] = useState<CaptureWay | null>(null);
  useEffect(() => {
    let open = true;
    api()
      .captureWay()
      .then(
        (answer) => open && setWay(answer),
        () => open && setWay('screens'), // the screen list then shows whatever it can, and why not
      );
    return () => {
      open = false;
    };
  }, []);
  return way;
}

export interface PortalPickerProps {
  draft: Draft;
  onChange: (draft: Draft) => void;
  /** A refusal tied to what is shared (an old window or region setting the portal cannot take). */
  error?: FieldProblem;
}

/**
 * What is shared on Wayland (issue 16): the desktop's ScreenCast dialog asks, so there is no list
 * here; "Choose again" forgets the choice it remembers (as `mkvcast share --choose-again`).
 */
export function PortalPicker({ draft, onChange, error }: PortalPickerProps): ReactElement {
  const [said, setSaid] = useState<string | null>(null);
  // A window or region saved from an X11 session cannot go through the portal: share the screen.
  useEffect(() => {
    if (draft.share !== 'screen' || draft.window !== '' || draft.region !== '')
      onChange({ ...draft, share: 'screen', window: '', region: '' });
  }, [draft, onChange]);
  const chooseAgain = (): void => {
    api()
      .chooseAgain()
      .then(
        () => setSaid('The desktop will ask again at the next Start sharing.'),
        (failure: unknown) => setSaid(errorText(failure)),
      );
  };
  return (
    <div className="field portal-picker">
      <p className="portal-text" id="portal-text">
        {PORTAL_PICKER_TEXT}
      </p>
      <p className="hint">
        It remembers the choice for the next start.{' '}
        <button type="button" onClick={chooseAgain} aria-describedby="portal-text">
          Choose again
        </button>
      </p>
      {said && (
        <p className="hint" role="status">
          {said}
        </p>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error.message} {error.fix}
        </p>
      )}
    </div>
  );
}
