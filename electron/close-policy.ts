/**
 * What closing the window does. With a tray icon the person can see, the window hides and sharing goes
 * on (the tray brings it back). Without one (GNOME without the AppIndicator extension), hiding would
 * leave a live share running where nobody can see or stop it: then closing asks instead.
 */
import type { SessionState } from '../server/api.js';

/** `quit`: stop and quit; `hide`: the tray shows the app is running; `ask`: a live share and no tray. */
export type CloseAction = 'quit' | 'hide' | 'ask';

export function closeAction(state: SessionState, trayVisible: boolean): CloseAction {
  if (trayVisible) return 'hide';
  return isSharing(state) ? 'ask' : 'quit';
}

/** Whether ffmpeg may be capturing: anything but idle, stopping or an error. */
export function isSharing(state: SessionState): boolean {
  return state.kind === 'starting' || state.kind === 'live' || state.kind === 'restarting';
}

export type CloseChoice = 'stop-and-quit' | 'keep-small' | 'cancel';

const CHOICES: readonly CloseChoice[] = ['stop-and-quit', 'keep-small', 'cancel'];

/** The question, as Electron's dialog.showMessageBox takes it; its answer is closeChoice(response). */
export const CLOSE_QUESTION = {
  type: 'question' as const,
  title: 'mkvcast is sharing',
  message: 'mkvcast is sharing this screen.',
  detail:
    'This desktop shows no tray icon, so a hidden mkvcast could not be found again. Stop sharing and quit, or keep sharing in a small window you can stop it from.',
  buttons: ['Stop sharing and quit', 'Keep sharing in a small window', 'Cancel'],
  defaultId: 1,
  cancelId: 2,
  noLink: true,
};

/** The choice for the button index showMessageBox answers; anything else (the box was dismissed) cancels. */
export function closeChoice(response: number): CloseChoice {
  return CHOICES[response] ?? 'cancel';
}

/** The small window: the Stop button and the first link still fit (renderer/src/styles.css, `compact`). */
export const COMPACT_WINDOW = { width: 380, height: 240 };
