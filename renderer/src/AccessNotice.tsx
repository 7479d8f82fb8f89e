import type { ReactElement } from 'react';
import type { ScreenAccess } from '../../server/api.js';
import { accessNotice } from './access';

export interface AccessNoticeProps {
  access: ScreenAccess;
  onOpenSettings: () => void;
}

/** macOS's Screen Recording permission, explained when it is missing, with the way to give it. */
export function AccessNotice({ access, onOpenSettings }: AccessNoticeProps): ReactElement | null {
  const notice = accessNotice(access);
  if (!notice) return null;
  return (
    <section
      className="notice"
      aria-labelledby="access-title"
      role={access === 'not-determined' ? undefined : 'alert'}
    >
      <h2 id="access-title">{notice.title}</h2>
      <p>{notice.text}</p>
      {notice.canOpenSettings && (
        <button type="button" onClick={onOpenSettings}>
          Open Screen Recording settings
        </button>
      )}
    </section>
  );
}
