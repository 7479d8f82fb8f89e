import { createHash } from 'node:crypto';
import type { TrackSummary } from '../api.js';

/**
 * Keeps the page's player (<video>, or <audio> for a stream without a picture) near the live edge. Left alone, Chromium sits 2–2.6 s behind a live
 * Matroska stream; playing a little faster while more than half a second is buffered brings it to the
 * edge without visible jumps, and a seek catches up after a long stall. The script is static (data comes
 * from data- attributes) so the Content-Security-Policy can name it by hash.
 */
const PLAYER_SCRIPT = `
(() => {
  const video = document.getElementById('player');
  const note = document.getElementById('player-note');
  const sound = document.getElementById('sound');
  if (!video) return;
  const src = video.dataset.src;
  let retryTimer = 0;
  const start = () => {
    video.src = src + (src.includes('?') ? '&' : '?') + 't=' + Date.now();
    video.play().catch(() => {});
  };
  setInterval(() => {
    const b = video.buffered;
    if (b.length === 0 || video.paused) return;
    const ahead = b.end(b.length - 1) - video.currentTime;
    if (ahead > 3) video.currentTime = b.end(b.length - 1) - 0.3;
    else video.playbackRate = ahead > 0.5 ? 1.25 : 1;
  }, 250);
  const retry = (why) => {
    if (note) note.textContent = why + ' Retrying…';
    clearTimeout(retryTimer);
    retryTimer = setTimeout(start, 2000);
  };
  video.addEventListener('error', () => retry('The stream stopped.'));
  video.addEventListener('ended', () => retry('The stream ended.'));
  video.addEventListener('playing', () => { if (note) note.textContent = ''; });
  // Browsers start a page's media muted (autoplay with sound needs a click): say so, and offer the click.
  if (sound) {
    const silent = () => video.muted || video.paused;
    const label = () => { sound.textContent = silent() ? 'Play sound' : 'Mute'; };
    sound.addEventListener('click', () => {
      if (silent()) { video.muted = false; video.play().catch(() => {}); } else video.muted = true;
      label();
    });
    for (const name of ['volumechange', 'play', 'pause']) video.addEventListener(name, label);
    label();
  }
  for (const button of document.querySelectorAll('button[data-copy]')) {
    button.addEventListener('click', () => {
      navigator.clipboard.writeText(button.dataset.copy).then(() => { button.textContent = 'Copied'; }, () => {});
    });
  }
  start();
})();
`;

const STYLE = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; line-height: 1.5; }
video { width: 100%; background: #000; border-radius: 6px; aspect-ratio: 16 / 9; }
audio { width: 100%; }
.sound { display: flex; gap: 0.75rem; align-items: center; margin: 0.5rem 0; }
.sound-only { font-weight: 600; }
code { font-size: 0.95em; padding: 0.1rem 0.3rem; border-radius: 4px; background: rgba(127,127,127,0.15); word-break: break-all; }
.cmd { display: flex; gap: 0.5rem; align-items: center; margin: 0.3rem 0; }
.note { padding: 0.8rem 1rem; border-radius: 6px; background: rgba(255,170,0,0.15); }
button { font: inherit; padding: 0.15rem 0.6rem; }
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The landing page's Content-Security-Policy: its own script and style, media from this server only. */
export const LANDING_CSP = [
  "default-src 'none'",
  `script-src ${sha256(PLAYER_SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "media-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Codecs Chromium's <video> plays from live Matroska/WebM. */
const BROWSER_VIDEO_CODECS = new Set(['h264', 'vp8', 'vp9', 'av1']);

export interface LandingInput {
  /** The stream's absolute URL as this request reached us. */
  streamUrl: string;
  /** The stream path relative to the page, e.g. `live.mkv`. */
  streamPath: string;
  tracks: TrackSummary[];
  live: boolean;
}

export function landingPage(input: LandingInput): string {
  const url = escapeHtml(input.streamUrl);
  const video = input.tracks.find((t) => t.kind === 'video');
  const audio = input.tracks.find((t) => t.kind === 'audio');
  const playable = !video || BROWSER_VIDEO_CODECS.has(video.codec);
  // Before the input's header, tracks are unknown: a <video> then, which plays sound too.
  const soundOnly = !video && audio !== undefined;
  const commands = [
    ['VLC', `vlc --network-caching=300 ${input.streamUrl}`],
    ['mpv', `mpv --profile=low-latency --untimed ${input.streamUrl}`],
    ['ffplay', `ffplay -fflags nobuffer -flags low_delay -framedrop ${input.streamUrl}`],
  ];
  const src = escapeHtml(input.streamPath);
  const media = soundOnly
    ? `<audio id="player" data-src="${src}" controls autoplay muted></audio>`
    : `<video id="player" data-src="${src}" controls autoplay muted playsinline></video>`;
  const soundBar = audio
    ? `<div class="sound">${soundOnly ? '<span class="sound-only" id="sound-only">Sound only: this stream has no picture.</span>' : ''}<button type="button" id="sound">Play sound</button></div>`
    : '';
  const player = playable
    ? `${media}
${soundBar}
<p id="player-note" aria-live="polite">${input.live ? '' : 'Waiting for the stream to start…'}</p>`
    : `<p class="note">This stream is ${escapeHtml(video?.codec.toUpperCase() ?? '')}, which browsers do not play from a live stream. Open the link in VLC or mpv instead.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mkvcast live stream</title>
<style>${STYLE}</style>
</head>
<body>
<h1>mkvcast live stream</h1>
${player}
<h2>Watch in a player</h2>
<p>Stream link: <a href="${escapeHtml(input.streamPath)}">${url}</a></p>
${commands
  .map(
    ([name, cmd]) =>
      `<div class="cmd"><span>${name}:</span> <code>${escapeHtml(cmd)}</code> <button type="button" data-copy="${escapeHtml(cmd)}">Copy</button></div>`,
  )
  .join('\n')}
<p>In VLC you can also use Media → Open Network Stream and paste the link.</p>
<script>${PLAYER_SCRIPT}</script>
</body>
</html>
`;
}
