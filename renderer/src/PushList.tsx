import { useEffect, useState, type ReactElement } from 'react';
import type { PushEntry, UserError } from '../../server/api.js';
import { Field } from './Field';
import { api, userErrorOf } from './mkvcast';

/**
 * The app's pushes (relays) in the Advanced section: each target as main shows it (no password, no
 * key) with a Remove button, and a URL input with Add. The URL goes to main once, on Add, and the
 * input is cleared; its state and bitrate are rows of the viewers table while sharing.
 */
export function PushList(): ReactElement {
  const [pushes, setPushes] = useState<PushEntry[]>([]);
  const [url, setUrl] = useState('');
  const [error, setError] = useState<UserError | null>(null);

  useEffect(() => {
    let live = true;
    api()
      .getState()
      .then((snapshot) => live && setPushes(snapshot.pushes ?? []))
      .catch((failure: unknown) => live && setError(userErrorOf(failure)));
    return () => {
      live = false;
    };
  }, []);

  const add = async (): Promise<void> => {
    if (url.trim() === '') return;
    const typed = url;
    setUrl(''); // the typed password is not kept in the page, whatever main answers
    try {
      const result = await api().addPush(typed);
      if (!result.ok) {
        setError(result.error);
        return;
      }
      setError(null);
      setPushes(result.pushes);
    } catch (failure) {
      setError(userErrorOf(failure));
    }
  };
  const remove = async (id: string): Promise<void> => {
    try {
      setPushes(await api().removePush(id));
      setError(null);
    } catch (failure) {
      setError(userErrorOf(failure));
    }
  };

  return (
    <div className="pushes" data-testid="pushes">
      {pushes.length > 0 && (
        <ul aria-label="Pushes">
          {pushes.map((p) => (
            <li key={p.id} data-testid="push-entry">
              <span>{p.shown}</span>{' '}
              <button type="button" onClick={() => void remove(p.id)}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <Field
        id="push-url"
        label="Push to a relay"
        hint="icecast://source:PASSWORD@HOST:PORT/MOUNT, rtmp://HOST/APP/KEY, srt://HOST:PORT or another mkvcast's …/ingest. Starts at once while sharing."
        error={error ? { message: error.message, fix: error.fix } : undefined}
      >
        {(aria) => (
          <div className="inline">
            <input
              {...aria}
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              onKeyDown={(e) => {
                if (e.key !== 'Enter') return;
                e.preventDefault(); // Enter here adds the push; it does not submit the settings form
                void add();
              }}
            />
            <button type="button" disabled={url.trim() === ''} onClick={() => void add()}>
              Add
            </button>
          </div>
        )}
      </Field>
    </div>
  );
}
