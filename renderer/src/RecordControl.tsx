import type { ReactElement } from 'react';
import type { RecordingInfo } from '../../server/api.js';

export interface RecordControlProps {
  /** The chosen file's name (main keeps its path); null: no recording. */
  fileName: string | null;
  /** Stats.outputs.recording while sharing. */
  recording: RecordingInfo | null;
  onChoose: () => void;
  onClear: () => void;
}

/** `12345678` → `11.8 MB`. */
function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.round(bytes / 1024)} kB`;
}

/** "Record to file…" (main's save dialog), the chosen name, and the recording's state while sharing. */
export function RecordControl({ fileName, recording, onChoose, onClear }: RecordControlProps): ReactElement {
  return (
    <section className="record" aria-labelledby="record-title">
      <h2 id="record-title">Recording</h2>
      <p data-testid="record-file">
        {fileName ? `Records to ${fileName} from the next Start sharing.` : 'Not recording.'}
      </p>
      {recording && (
        <p data-testid="recording" role="status">
          {`${recording.file.split(/[\\/]/).pop() ?? ''}: ${recording.state}, ${formatBytes(recording.bytes)}`}
        </p>
      )}
      <button type="button" onClick={onChoose}>
        Record to file…
      </button>
      {fileName && (
        <button type="button" onClick={onClear}>
          Don't record
        </button>
      )}
    </section>
  );
}
