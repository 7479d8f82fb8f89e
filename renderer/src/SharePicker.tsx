import type { ReactElement } from 'react';
import type { ScreenInfo, WindowChoice } from '../../server/api.js';
import type { Draft } from './draft';
import { Field } from './Field';
import { PortalPicker, useCaptureWay } from './PortalPicker';
import { regionPresets } from './regions';
import type { FieldErrors } from './SettingsForm';

export interface SharePickerProps {
  draft: Draft;
  onChange: (draft: Draft) => void;
  screens: ScreenInfo[];
  screensError: string | null;
  windows: WindowChoice[];
  errors: FieldErrors;
}

const windowLabel = (w: WindowChoice): string =>
  w.width === 0 // Windows: a title only (gdigrab shares by title; desktopCapturer gives no size or class)
    ? `${w.name}${(w.sameTitleCount ?? 1) > 1 ? ` (${w.sameTitleCount} windows)` : ''}`
    : `${w.name || '(no title)'} — ${w.className} (${w.width}×${w.height})`;

/** What the picker says under the window list: that gdigrab takes the first of several windows with one title. */
const windowHint = (picked: WindowChoice | undefined): string =>
  picked && (picked.sameTitleCount ?? 1) > 1
    ? `${picked.sameTitleCount} windows are titled "${picked.name}": the first one found is shared. Close or rename the others to be sure which.`
    : 'Capture follows the window when it moves; sharing stops with a message when it closes.';

/** What is shared: a whole screen, a part of one (halves or WxH+X+Y), or one window, with a picture of it. */
export function SharePicker({
  draft,
  onChange,
  screens,
  screensError,
  windows,
  errors,
}: SharePickerProps): ReactElement {
  const captureWay = useCaptureWay();
  const set = (patch: Partial<Draft>): void => onChange({ ...draft, ...patch });
  const shown = screens.find((s) => (draft.screenId ? s.id === draft.screenId : s.primary));
  const presets = shown ? regionPresets(shown) : [];
  const preset = presets.find((p) => p.region === draft.region.trim())?.id ?? 'custom';
  const picked = windows.find((w) => w.id === draft.window);
  // Wayland: the desktop's own dialog picks the screen or window (issue 16).
  if (captureWay === 'portal')
    return (
      <PortalPicker
        draft={draft}
        onChange={onChange}
        error={errors.window ?? errors.region ?? errors.screenId}
      />
    );
  return (
    <>
      <Field
        id="share-kind"
        label="Share"
        hint={
          windows.length === 0
            ? 'No window can be shared here: X11 lists them (not Wayland or macOS).'
            : undefined
        }
      >
        {(aria) => (
          <select
            {...aria}
            value={draft.share}
            onChange={(e) => {
              const share = e.target.value as Draft['share'];
              // A first pick of a part gives the left half, the usual wish on an ultrawide screen.
              const region =
                share === 'region' && draft.region === '' ? (presets[0]?.region ?? '') : draft.region;
              const window =
                share === 'window' && draft.window === '' ? (windows[0]?.id ?? '') : draft.window;
              set({ share, region, window });
            }}
          >
            <option value="screen">A whole screen</option>
            <option value="region">Part of a screen</option>
            <option value="window" disabled={windows.length === 0 && draft.share !== 'window'}>
              One window
            </option>
          </select>
        )}
      </Field>
      {draft.share !== 'window' && (
        <Field
          id="screen"
          label="Screen"
          error={errors.screenId ?? (screensError ? { message: screensError } : undefined)}
        >
          {(aria) => (
            <select {...aria} value={draft.screenId} onChange={(e) => set({ screenId: e.target.value })}>
              <option value="">Primary screen</option>
              {screens.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                  {s.primary ? ' — primary' : ''}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {draft.share === 'region' && (
        <div className="row">
          <Field id="region-preset" label="Part">
            {(aria) => (
              <select
                {...aria}
                value={preset}
                onChange={(e) => {
                  const chosen = presets.find((p) => p.id === e.target.value);
                  if (chosen) set({ region: chosen.region });
                }}
              >
                {presets.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.label}
                  </option>
                ))}
                <option value="custom">Custom</option>
              </select>
            )}
          </Field>
          <Field
            id="region"
            label="Region (WxH+X+Y)"
            hint={shown ? `In ${shown.name}'s pixels, from its top-left corner.` : undefined}
            error={errors.region}
          >
            {(aria) => (
              <input
                {...aria}
                spellCheck={false}
                placeholder="960x1080+0+0"
                value={draft.region}
                onChange={(e) => set({ region: e.target.value })}
              />
            )}
          </Field>
        </div>
      )}
      {draft.share !== 'window' && shown?.thumbnail && (
        <img className="screen-thumbnail" src={shown.thumbnail} alt={`What ${shown.name} shows now`} />
      )}
      {draft.share === 'window' && (
        <Field id="window" label="Window" hint={windowHint(picked)} error={errors.window}>
          {(aria) => (
            <select {...aria} value={draft.window} onChange={(e) => set({ window: e.target.value })}>
              {!picked && (
                <option value={draft.window}>
                  {draft.window ? `Window ${draft.window} (not open)` : 'Pick a window'}
                </option>
              )}
              {windows.map((w) => (
                <option key={w.id} value={w.id}>
                  {windowLabel(w)}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {draft.share === 'window' && picked?.thumbnail && (
        <img
          className="screen-thumbnail"
          src={picked.thumbnail}
          alt={`What the window ${picked.name || picked.id} shows now`}
        />
      )}
    </>
  );
}
