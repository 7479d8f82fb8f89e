import { useEffect, useState, type ReactElement } from 'react';
import type { ScreenInfo, Settings, WindowChoice } from '../../server/api.js';
import type { Draft } from './draft';
import { Field, type FieldProblem } from './Field';
import { SharePicker } from './SharePicker';
import { PushList } from './PushList';

export type FieldErrors = Partial<Record<keyof Settings, FieldProblem>>;

const ADVANCED: readonly (keyof Settings)[] = [
  'host',
  'maxViewers',
  'token',
  'ffmpegPath',
  'encoder',
  'maxUploadMbit',
  'webrtcPorts',
];

export interface SettingsFormProps {
  draft: Draft;
  onChange: (draft: Draft) => void;
  screens: ScreenInfo[];
  screensError: string | null;
  /** The windows that can be shared instead of a screen. */
  windows: WindowChoice[];
  token: string | null;
  errors: FieldErrors;
  onNewToken: () => void;
  /** Opens main's file dialog to pick ffmpeg; the draft gets the path once main checked it. */
  onChooseFfmpeg: () => void;
}

export function SettingsForm(props: SettingsFormProps): ReactElement {
  const { draft, onChange, screens, screensError, windows, token, errors, onNewToken, onChooseFfmpeg } =
    props;
  const set =
    <K extends keyof Draft>(key: K) =>
    (value: Draft[K]) =>
      onChange({ ...draft, [key]: value });
  const advancedError = ADVANCED.some((field) => errors[field]);
  const [advancedOpen, setAdvancedOpen] = useState(advancedError);
  useEffect(() => {
    if (advancedError) setAdvancedOpen(true);
  }, [advancedError]);

  return (
    <fieldset className="settings">
      <legend>What to share</legend>
      <SharePicker
        draft={draft}
        onChange={onChange}
        screens={screens}
        screensError={screensError}
        windows={windows}
        errors={errors}
      />
      <div className="row">
        <Field id="fps" label="Frame rate (fps)" error={errors.fps}>
          {(aria) => (
            <input
              {...aria}
              type="number"
              inputMode="numeric"
              min={1}
              max={60}
              value={draft.fps}
              onChange={(e) => set('fps')(e.target.value)}
            />
          )}
        </Field>
        <Field
          id="keyframe"
          label="Keyframe interval (seconds)"
          hint="Shorter: viewers join and recover faster, but the stream is larger."
          error={errors.keyframeIntervalSec}
        >
          {(aria) => (
            <input
              {...aria}
              type="number"
              inputMode="decimal"
              min={0.25}
              max={10}
              step={0.25}
              value={draft.keyframeIntervalSec}
              onChange={(e) => set('keyframeIntervalSec')(e.target.value)}
            />
          )}
        </Field>
      </div>
      <div className="row">
        <Field
          id="quality"
          label="Quality"
          hint={
            draft.quality === 'text444' ? 'Browsers cannot play 4:4:4: viewers need VLC or mpv.' : undefined
          }
          error={draft.quality === 'custom' ? undefined : errors.quality}
        >
          {(aria) => (
            <select
              {...aria}
              value={draft.quality}
              onChange={(e) => set('quality')(e.target.value as Draft['quality'])}
            >
              <option value="text">Text and slides</option>
              <option value="balanced">Balanced</option>
              <option value="motion">Motion</option>
              <option value="text444">Sharpest text (4:4:4, not for browsers)</option>
              <option value="custom">Custom bitrate</option>
            </select>
          )}
        </Field>
        {draft.quality === 'custom' && (
          <Field id="bitrate" label="Bitrate (kbit/s)" error={errors.quality}>
            {(aria) => (
              <input
                {...aria}
                type="number"
                inputMode="numeric"
                min={100}
                max={100000}
                value={draft.customKbps}
                onChange={(e) => set('customKbps')(e.target.value)}
              />
            )}
          </Field>
        )}
        <Field
          id="output-size"
          label="Output size"
          hint={
            draft.share === 'window'
              ? 'A window is sent at its own size (this applies to screens and regions).'
              : 'Scaled down before encoding, never up.'
          }
          error={errors.outputSize}
        >
          {(aria) => (
            <select
              {...aria}
              value={draft.outputSize}
              onChange={(e) => set('outputSize')(e.target.value as Draft['outputSize'])}
            >
              <option value="native">As captured</option>
              <option value="1080p">1080p</option>
              <option value="720p">720p</option>
            </select>
          )}
        </Field>
      </div>
      <div className="row">
        <Field id="port" label="Port" error={errors.port}>
          {(aria) => (
            <input
              {...aria}
              type="number"
              inputMode="numeric"
              min={1024}
              max={65535}
              value={draft.port}
              onChange={(e) => set('port')(e.target.value)}
            />
          )}
        </Field>
      </div>
      <details open={advancedOpen} onToggle={(e) => setAdvancedOpen(e.currentTarget.open)}>
        <summary>Advanced</summary>
        <div className="row">
          <Field
            id="host"
            label="Listen on address"
            hint="0.0.0.0 listens on every network interface."
            error={errors.host}
          >
            {(aria) => <input {...aria} value={draft.host} onChange={(e) => set('host')(e.target.value)} />}
          </Field>
          <Field id="max-viewers" label="Max viewers" error={errors.maxViewers}>
            {(aria) => (
              <input
                {...aria}
                type="number"
                inputMode="numeric"
                min={1}
                value={draft.maxViewers}
                onChange={(e) => set('maxViewers')(e.target.value)}
              />
            )}
          </Field>
          <Field
            id="max-upload"
            label="Upload budget (Mbit/s)"
            hint="Empty for none. Past it, new viewers are turned away."
            error={errors.maxUploadMbit}
          >
            {(aria) => (
              <input
                {...aria}
                type="number"
                inputMode="decimal"
                min={0.1}
                step="any"
                value={draft.maxUploadMbit}
                onChange={(e) => set('maxUploadMbit')(e.target.value)}
              />
            )}
          </Field>
        </div>
        <Field
          id="webrtc-ports"
          label="WebRTC ports (UDP)"
          hint="Browsers watch over WebRTC on these ports, one per viewer: low-high, e.g. 40000-40100, to open in a firewall. Empty for any free port."
          error={errors.webrtcPorts}
        >
          {(aria) => (
            <input
              {...aria}
              spellCheck={false}
              placeholder="any free port"
              value={draft.webrtcPorts}
              onChange={(e) => set('webrtcPorts')(e.target.value)}
            />
          )}
        </Field>
        <Field
          id="token"
          label="Viewer token"
          hint="Part of every link. A new token cuts off everyone holding an old link."
          error={errors.token}
        >
          {(aria) => (
            <div className="inline">
              <input {...aria} readOnly value={token ?? 'none (anyone on the network can watch)'} />
              <button type="button" onClick={onNewToken}>
                New token
              </button>
            </div>
          )}
        </Field>
        <Field
          id="ffmpeg-path"
          label="ffmpeg path"
          hint="Chosen from a file dialog, where mkvcast checks that it is ffmpeg."
          error={errors.ffmpegPath}
        >
          {(aria) => (
            <div className="inline">
              <input {...aria} readOnly value={draft.ffmpegPath || 'found automatically'} />
              <button type="button" onClick={onChooseFfmpeg}>
                Choose…
              </button>
              <button type="button" disabled={draft.ffmpegPath === ''} onClick={() => set('ffmpegPath')('')}>
                Use default
              </button>
            </div>
          )}
        </Field>
        <Field
          id="encoder"
          label="Encoder"
          hint="Empty: libx264. Or h264_vaapi, h264_nvenc, …"
          error={errors.encoder}
        >
          {(aria) => (
            <input
              {...aria}
              spellCheck={false}
              value={draft.encoder}
              onChange={(e) => set('encoder')(e.target.value)}
            />
          )}
        </Field>
        <PushList />
      </details>
    </fieldset>
  );
}
