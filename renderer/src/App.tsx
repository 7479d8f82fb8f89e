import { useEffect, useState, type ReactElement } from 'react';
import type { FieldError, Settings, UserError } from '../../server/api.js';
import { AccessNotice } from './AccessNotice';
import { draftFromSettings, settingsFromDraft, type Draft } from './draft';
import { LinksPanel } from './LinksPanel';
import { PauseButton } from './PauseButton';
import { api, errorText, userErrorOf } from './mkvcast';
import { SettingsForm, type FieldErrors } from './SettingsForm';
import { RecordControl } from './RecordControl';
import { ShareButton } from './ShareButton';
import { SoundPicker } from './SoundPicker';
import { useSession } from './useSession';
import { ViewersTable } from './ViewersTable';

function fieldErrors(saveErrors: FieldError[], error: UserError | null): FieldErrors {
  const byField: FieldErrors = {};
  for (const e of saveErrors) byField[e.field] ??= { message: e.message };
  if (error?.field) byField[error.field] = { message: error.message, fix: error.fix };
  return byField;
}

export function App(): ReactElement {
  const { session, screens, access, settings, setSettings, screensError, loadError, windows, paused } =
    useSession();
  const [draft, setDraft] = useState<Draft | null>(null);
  const [saveErrors, setSaveErrors] = useState<FieldError[]>([]);
  const [startError, setStartError] = useState<UserError | null>(null);
  const [busy, setBusy] = useState(false);
  /** Settings that apply but could not be stored (disk full…), or a token that could not be saved. */
  const [saveWarning, setSaveWarning] = useState<string | null>(null);
  /** Why the ffmpeg picked in the dialog was refused. */
  const [ffmpegError, setFfmpegError] = useState<UserError | null>(null);
  /** Why a request from a button (Stop, Kick, the permission settings) failed, with main's fix. */
  const [requestError, setRequestError] = useState<UserError | null>(null);
  /** The recording's file name, as main's save dialog answered it. */
  const [recordName, setRecordName] = useState<string | null>(null);
  const request = (call: () => Promise<unknown>): void => {
    setRequestError(null);
    call().catch((failure: unknown) => setRequestError(userErrorOf(failure)));
  };

  useEffect(() => {
    if (settings && !draft) setDraft(draftFromSettings(settings));
  }, [settings, draft]);

  if (loadError) {
    return (
      <main className="app">
        <p role="alert">mkvcast could not load its settings: {loadError}</p>
      </main>
    );
  }
  if (!settings || !draft) {
    return (
      <main className="app">
        <p role="status">Loading…</p>
      </main>
    );
  }

  const { state } = session;
  const error = state.kind === 'error' ? state.error : (startError ?? requestError);
  const errors = fieldErrors(saveErrors, error);
  if (ffmpegError) errors.ffmpegPath = { message: ffmpegError.message, fix: ffmpegError.fix };
  const running = state.kind === 'live' || state.kind === 'restarting';
  const changed = JSON.stringify(settingsFromDraft(draft, settings)) !== JSON.stringify(settings);

  const save = async (): Promise<Settings | null> => {
    const result = await api().saveSettings(settingsFromDraft(draft, settings));
    if (!result.ok) {
      setSaveErrors(result.errors);
      return null;
    }
    setSaveErrors([]);
    setSaveWarning(result.warning ?? null);
    setSettings(result.settings);
    setDraft(draftFromSettings(result.settings));
    return result.settings;
  };
  const start = async (): Promise<void> => {
    setBusy(true);
    setStartError(null);
    try {
      if (!(await save())) return;
      const result = await api().start();
      if (!result.ok) setStartError(result.error);
    } finally {
      setBusy(false);
    }
  };
  const newToken = async (): Promise<void> => {
    try {
      setSettings(await api().newToken());
      setSaveWarning(null);
    } catch (error) {
      setSaveWarning(errorText(error));
      setSettings(await api().getSettings()); // the new token applies even when it could not be stored
    }
  };

  const chooseFfmpeg = async (): Promise<void> => {
    const result = await api().chooseFfmpeg();
    if (result.outcome === 'cancelled') return;
    if (result.outcome === 'refused') {
      setFfmpegError(result.error);
      return;
    }
    setFfmpegError(null);
    setDraft((current) => current && { ...current, ffmpegPath: result.path });
  };

  return (
    <main className="app">
      <header>
        <h1>mkvcast</h1>
        <p className="tagline">Share this screen on the network as a live video link.</p>
      </header>
      <AccessNotice access={access} onOpenSettings={() => request(() => api().openScreenAccessSettings())} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (running) void save();
          else void start();
        }}
      >
        <SettingsForm
          draft={draft}
          onChange={(next) => {
            if (next.ffmpegPath !== draft.ffmpegPath) setFfmpegError(null);
            setDraft(next);
          }}
          screens={screens}
          screensError={screensError}
          windows={windows}
          token={settings.token}
          errors={errors}
          onNewToken={() => void newToken()}
          onChooseFfmpeg={() => void chooseFfmpeg()}
        />
        <SoundPicker
          value={draft.audio}
          onChange={(audio) => setDraft({ ...draft, audio })}
          error={errors.audio}
          level={running ? session.stats.audio : undefined}
        />
        {running && changed && (
          <button type="submit" className="apply">
            Apply changes
          </button>
        )}
      </form>
      <ShareButton
        state={state}
        uptimeSec={session.stats.uptimeSec}
        busy={busy}
        paused={paused}
        onStart={() => void start()}
        onStop={() => request(() => api().stop())}
      />
      <PauseButton
        paused={paused}
        running={running}
        onPause={(next) => request(() => api().setPaused(next))}
      />
      <RecordControl
        fileName={recordName}
        recording={session.stats.outputs?.recording ?? null}
        onChoose={() =>
          request(async () => {
            const name = await api().chooseRecordFile();
            if (name !== null) setRecordName(name);
          })
        }
        onClear={() => request(async () => setRecordName((await api().clearRecordFile(), null)))}
      />
      {saveWarning && (
        <p className="warning" role="status">
          {saveWarning}
        </p>
      )}
      {error && !error.field && (
        <div className="error" role="alert">
          <p className="error-message">{error.message}</p>
          <p className="error-fix">{error.fix}</p>
        </div>
      )}
      {running && (
        <>
          <LinksPanel links={session.links} stats={session.stats} />
          <ViewersTable
            viewers={session.viewers}
            outputs={session.stats.outputs}
            onKick={(id) => request(() => api().kick(id))}
          />
        </>
      )}
    </main>
  );
}
