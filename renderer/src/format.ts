/** `75` → `1:15`, `3725` → `1:02:05`. */
export function formatDuration(totalSec: number): string {
  const sec = Math.max(0, Math.floor(totalSec));
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = String(sec % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** `2500` → `2.5 Mbit/s`, `800` → `800 kbit/s`. */
export function formatBitrate(kbps: number): string {
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(1)} Mbit/s` : `${Math.round(kbps)} kbit/s`;
}

/** Seconds since an ISO 8601 time. */
export function secondsSince(iso: string, nowMs: number): number {
  const then = Date.parse(iso);
  return Number.isNaN(then) ? 0 : (nowMs - then) / 1000;
}
