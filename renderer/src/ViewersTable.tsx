import type { ReactElement } from 'react';
import type { ViewerInfo } from '../../server/api.js';
import { formatDuration, secondsSince } from './format';

export interface ViewersTableProps {
  viewers: ViewerInfo[];
  onKick: (viewerId: string) => void;
}

export function ViewersTable({ viewers, onKick }: ViewersTableProps): ReactElement {
  const nowMs = Date.now();
  return (
    <section className="viewers" aria-labelledby="viewers-title">
      <h2 id="viewers-title">Viewers ({viewers.length})</h2>
      {viewers.length === 0 ? (
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
          </tbody>
        </table>
      )}
    </section>
  );
}
