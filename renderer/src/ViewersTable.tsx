import type { ReactElement } from 'react';
import type { OutputsStatus, ViewerInfo } from '../../server/api.js';
import { formatBitrate, formatDuration, secondsSince } from './format';
import { uploadView } from './upload';

export interface ViewersTableProps {
  viewers: ViewerInfo[];
  onKick: (viewerId: string) => void;
  /** Stats.outputs: the upload line, its warning, and one row per push. */
  outputs?: OutputsStatus;
}

export function ViewersTable({ viewers, onKick, outputs }: ViewersTableProps): ReactElement {
  const nowMs = Date.now();
  const upload = outputs ? uploadView(outputs.upload) : null;
  const pushes = outputs?.pushes ?? [];
  return (
    <section className="viewers" aria-labelledby="viewers-title">
      <h2 id="viewers-title">Viewers ({viewers.length})</h2>
      {upload && (
        <p className="upload" data-testid="upload">
          {upload.summary}
        </p>
      )}
      {upload?.warning && (
        <p className="warning" role="status" data-testid="upload-warning">
          {upload.warning}
        </p>
      )}
      {viewers.length === 0 && pushes.length === 0 ? (
        <p className="hint">Nobody is watching yet. Send a link above.</p>
      ) : (
        <table aria-labelledby="viewers-title">
          <thead>
            <tr>
              <th scope="col">Client</th>
              <th scope="col">Address</th>
              <th scope="col">Connected for</th>
              <th scope="col">Lag</th>
              <th scope="col">Skips</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {viewers.map((v) => (
              <tr key={v.id}>
                <td data-label="Client" title={v.userAgent}>
                  {v.client}
                </td>
                <td data-label="Address">{v.address}</td>
                <td data-label="Connected for">{formatDuration(secondsSince(v.since, nowMs))}</td>
                <td data-label="Lag">{v.lagMs} ms</td>
                <td data-label="Skips">{v.skips}</td>
                <td>
                  <button
                    type="button"
                    onClick={() => onKick(v.id)}
                    aria-label={`Kick ${v.client} at ${v.address}`}
                  >
                    Kick
                  </button>
                </td>
              </tr>
            ))}
            {pushes.map((p) => (
              <tr key={`push-${p.target}`} className="push" title={p.lastError ?? undefined}>
                <td data-label="Client">Push ({p.sends})</td>
                <td data-label="Address">{p.target}</td>
                <td data-label="Connected for">{p.state}</td>
                <td data-label="Lag">{formatBitrate(p.bitrateKbps)}</td>
                <td data-label="Skips">{p.runs > 1 ? `${p.runs - 1} reconnects` : ''}</td>
                <td />
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
