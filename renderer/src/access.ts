import type { ScreenAccess } from '../../server/api.js';

export interface AccessNotice {
  title: string;
  text: string;
  /** Whether the button that opens System Settings helps. */
  canOpenSettings: boolean;
}

const WHERE = 'System Settings → Privacy & Security → Screen Recording';

/** What the window says about macOS's Screen Recording permission; null when there is nothing to say. */
export function accessNotice(access: ScreenAccess): AccessNotice | null {
  switch (access) {
    case 'denied':
      return {
        title: 'mkvcast is not allowed to record the screen',
        text: `macOS blocks it, so viewers would see only the desktop background. Turn on mkvcast in ${WHERE}, then quit mkvcast and open it again.`,
        canOpenSettings: true,
      };
    case 'not-determined':
      return {
        title: 'macOS will ask before mkvcast records the screen',
        text: `When you start sharing, choose Allow (then quit mkvcast and open it again). You can change this later in ${WHERE}.`,
        canOpenSettings: true,
      };
    case 'restricted':
      return {
        title: 'Screen recording is blocked on this Mac',
        text: 'A profile set by whoever manages this Mac forbids it, so mkvcast cannot share the screen. Ask them to allow Screen Recording for mkvcast.',
        canOpenSettings: false,
      };
    case 'not-needed':
    case 'granted':
    case 'unknown':
      return null;
  }
}
