import { useEffect, useRef, useState, type ReactElement } from 'react';
import type { AudioDeviceList, SessionStats, UserError } from '../../server/api.js';
import { Field, type FieldProblem } from './Field';
import { api, errorText } from './mkvcast';
import { FLOOR_DB, levelText, soundOptions, soundWhenOn, trackText } from './sound';

export interface SoundPickerProps {
  /** Settings.audio as drafted: `none`, `system`, `mic` or a device id from listAudioDevices. */
  value: string;
  onChange: (audio: string) => void;
  /** The field error on `audio` (a device that does not exist, a sound server that does not answer). */
  error?: FieldProblem;
  /** stats().audio while sharing: the device, its level, and whether silence stands in for it. */
  level?: SessionStats['audio'];
}

/** "Share sound": a toggle, the device picker with the platform's notes, and the live level meter. */
export function SoundPicker({ value, onChange, error, level }: SoundPickerProps): ReactElement {
  const [list, setList] = useState<AudioDeviceList | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  /** The session's last notice about the sound (the device went away), with its fix. */
  const [notice, setNotice] = useState<UserError | null>(null);
  /** The source picked before sound was turned off: turning it on again brings it back. */
  const lastChoice = useRef(value === 'none' ? null : value);
  const on = value !== 'none';

  useEffect(() => {
    let open = true;
    api()
      .listAudioDevices()
      .then(
        (devices) => {
          if (!open) return;
          setList(devices);
          setListError(null);
        },
        (failure: unknown) => open && setListError(errorText(failure)),
      );
    const offNotice = api().onNotice((next) => {
      if (next.field === 'audio') setNotice(next);
    });
    return () => {
      open = false;
      offNotice();
    };
  }, []);

  const toggle = (checked: boolean): void => {
    if (!checked) {
      lastChoice.current = value === 'none' ? lastChoice.current : value;
      onChange('none');
      return;
    }
    onChange(soundWhenOn(lastChoice.current, list));
  };

  return (
    <fieldset className="sound">
      <legend>Sound</legend>
      <label className="toggle">
        <input type="checkbox" checked={on} onChange={(e) => toggle(e.target.checked)} /> Share sound
      </label>
      <Field
        id="audio"
        label="Sound source"
        // Only when sound is to be shared: with it off, a machine without a sound server needs no word on it.
        hint={on && listError ? `The sound devices could not be listed: ${listError}` : undefined}
        error={error}
      >
        {(aria) => (
          <select
            {...aria}
            disabled={!on}
            value={on ? value : (lastChoice.current ?? 'system')}
            onChange={(e) => {
              lastChoice.current = e.target.value;
              onChange(e.target.value);
            }}
          >
            {soundOptions(list, value).map((o) => (
              <option key={o.value} value={o.value} disabled={o.off}>
                {o.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      {list?.notes.map((note) => (
        <p key={note} className="hint sound-note">
          {note}
        </p>
      ))}
      {on && level && <LevelMeter level={level} explained={level.silenced && notice !== null} />}
      {on && level?.silenced && notice && (
        <p className="field-error sound-notice" role="alert">
          {notice.message}
          <span className="field-fix"> {notice.fix}</span>
        </p>
      )}
    </fieldset>
  );
}

/** The level of the sound going out (RMS over the last second), or why it is silence. */
export function LevelMeter({
  level,
  explained,
}: {
  level: NonNullable<SessionStats['audio']>;
  /** The session's notice below says why there is silence: the meter only says "Silence". */
  explained: boolean;
}): ReactElement {
  const db = level.levelDb;
  const text = explained ? 'Silence' : levelText(level);
  return (
    <div className={level.silenced ? 'level level-gone' : 'level'}>
      <label htmlFor="audio-level">Level ({level.device})</label>
      <meter
        id="audio-level"
        min={FLOOR_DB}
        max={0}
        low={-40}
        high={-6}
        optimum={-20}
        value={db === null || level.silenced ? FLOOR_DB : Math.max(FLOOR_DB, db)}
        data-level-db={db ?? ''}
        aria-describedby="audio-level-text"
      />
      <span id="audio-level-text" className="level-text" role="status">
        {text}
      </span>
      {level.track && <span className="hint level-track">Viewers get {trackText(level.track)}</span>}
    </div>
  );
}
