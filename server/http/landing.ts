import { createHash } from 'node:crypto';
import type { TrackSummary } from '../api.js';
import { avcProfile } from '../matroska/avc-profile.js';

/**
 * Keeps the page's player (<video>, or <audio> for a stream without a picture) near the live edge.
 * Chromium starts a live Matroska stream with about 2 s buffered ahead (the viewer's first GOP and what
 * came while it prerolled) and keeps it unless told: when more than 1.5 s is buffered ahead (at the
 * start, after a stall or a pause) the page jumps to 0.3 s before the end; Chromium then rebuffers
 * about a second, which it plays off at 1.25× (over 0.8 s ahead) and 1.1× (over 0.4 s). The script is
 * static (data comes from data- attributes) so the Content-Security-Policy can name it by hash.
 */
const PLAYER_SCRIPT = `
(() => {
  const video = document.getElementById('player');
  const note = document.getElementById('player-note');
  const sound = document.getElementById('sound');
  if (!video) return;
  const src = video.dataset.src;
  let retryTimer = 0;
  let stopped = false;
  const start = () => {
    stopped = false;
    video.srcObject = null;
    video.src = src + (src.includes('?') ? '&' : '?') + 't=' + Date.now();
    video.play().catch(() => {});
  };
  // The WebRTC script (below) plays first when it can, and starts or stops this player.
  window.mkvcastMatroska = {
    start,
    stop: () => { stopped = true; clearTimeout(retryTimer); video.removeAttribute('src'); video.load(); },
  };
  setInterval(() => {
    const b = video.buffered;
    if (stopped || b.length === 0 || video.paused) return;
    const end = b.end(b.length - 1);
    const ahead = end - video.currentTime;
    if (ahead > 1.5) video.currentTime = end - 0.3;
    else video.playbackRate = ahead > 0.8 ? 1.25 : ahead > 0.4 ? 1.1 : 1;
  }, 250);
  const retry = (why) => {
    if (stopped) return;
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
  if (!video.dataset.whep) start();
})();
`;

/**
 * WebRTC first (WHEP, RFC 9725: one POST with the offer, the answer back, DELETE on leaving), the
 * Matroska <video> when WebRTC fails, with a line that says which plays and a button for the other.
 * Non-trickle: the offer goes once ICE has gathered this browser's host candidates.
 */
const WEBRTC_SCRIPT = `
(() => {
  const video = document.getElementById('player');
  const line = document.getElementById('transport');
  const label = document.getElementById('transport-label');
  const other = document.getElementById('transport-switch');
  if (!video || !video.dataset.whep || !line) return;
  const whep = video.dataset.whep;
  let pc = null;
  let session = null;
  let mode = '';
  const say = (text, button) => {
    label.textContent = text;
    other.textContent = button;
    line.hidden = false;
  };
  const hangUp = () => {
    if (session) fetch(session, { method: 'DELETE', keepalive: true }).catch(() => {});
    session = null;
    if (pc) pc.close();
    pc = null;
  };
  const matroska = (why) => {
    hangUp();
    mode = 'mkv';
    window.mkvcastMatroska.start();
    say('Playing the Matroska stream' + (why ? ' (WebRTC: ' + why + ')' : '') + '.', 'Try WebRTC');
  };
  const webrtc = async () => {
    window.mkvcastMatroska.stop();
    mode = 'webrtc';
    say('Connecting over WebRTC…', 'Play the Matroska stream');
    const peer = new RTCPeerConnection({ iceServers: [] });
    pc = peer;
    peer.addTransceiver('video', { direction: 'recvonly' });
    // Always: sound may be turned on after this page loaded (the server answers inactive without it).
    peer.addTransceiver('audio', { direction: 'recvonly' });
    const stream = new MediaStream();
    peer.ontrack = (event) => {
      // Render as soon as a frame is decoded, instead of building up a jitter buffer.
      if ('jitterBufferTarget' in event.receiver) event.receiver.jitterBufferTarget = 0;
      if ('playoutDelayHint' in event.receiver) event.receiver.playoutDelayHint = 0;
      stream.addTrack(event.track);
      video.srcObject = stream;
      video.play().catch(() => {});
    };
    let lostTimer = 0;
    peer.onconnectionstatechange = () => {
      if (pc !== peer) return;
      clearTimeout(lostTimer);
      // The server ends a session when the stream's tracks change (a new picture size): connect again.
      if (peer.connectionState === 'failed' || peer.connectionState === 'disconnected') {
        lostTimer = setTimeout(() => { if (pc === peer) { hangUp(); tryWebrtc(); } }, 2000);
      }
    };
    await peer.setLocalDescription(await peer.createOffer());
    await new Promise((resolve) => {
      if (peer.iceGatheringState === 'complete') return resolve();
      peer.onicegatheringstatechange = () => { if (peer.iceGatheringState === 'complete') resolve(); };
      setTimeout(resolve, 1000);
    });
    const response = await fetch(whep, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: peer.localDescription.sdp });
    const body = await response.text();
    if (response.status !== 201) throw new Error(body.trim() || 'the server answered ' + response.status);
    session = new URL(response.headers.get('Location'), location.href).href;
    await peer.setRemoteDescription({ type: 'answer', sdp: body });
    const shown = await new Promise((resolve) => {
      // 'playing' may have come and gone unseen: a decoded frame from this connection counts too.
      const timer = setTimeout(() => resolve(video.srcObject === stream && video.readyState >= 2), 6000);
      video.addEventListener('playing', () => { clearTimeout(timer); resolve(true); }, { once: true });
    });
    if (pc !== peer) return;
    if (!shown) throw new Error('no picture arrived');
    say('Playing over WebRTC.', 'Play the Matroska stream');
    watchPackets(peer, session);
  };
  // The server ends a session on a new header without a word the browser hears (no DTLS close_notify):
  // when no video packet came for a second, ask whether the session still runs (an encoder restart
  // also pauses the packets, on the same session), and connect again at once if it ended.
  const watchPackets = (peer, url) => {
    let last = -1;
    let stillTicks = 0;
    let asking = false;
    const timer = setInterval(async () => {
      if (pc !== peer) return clearInterval(timer);
      const stats = await peer.getStats().catch(() => null);
      if (!stats || pc !== peer) return;
      let packets = 0;
      stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') packets = s.packetsReceived; });
      stillTicks = packets === last ? stillTicks + 1 : 0;
      last = packets;
      if (stillTicks < 2 || asking) return;
      asking = true;
      const response = await fetch(url, { cache: 'no-store' }).catch(() => null);
      asking = false;
      if (response && response.status === 404 && pc === peer) {
        clearInterval(timer);
        session = null;
        hangUp();
        tryWebrtc();
      }
    }, 500);
  };
  const tryWebrtc = () => webrtc().catch((error) => { if (mode === 'webrtc') matroska(String(error.message || error)); });
  other.addEventListener('click', () => (mode === 'webrtc' ? matroska('') : (hangUp(), tryWebrtc())));
  addEventListener('pagehide', hangUp);
  tryWebrtc();
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
  `script-src ${sha256(PLAYER_SCRIPT)} ${sha256(WEBRTC_SCRIPT)}`,
  // WHEP: the offer is POSTed to this server.
  "connect-src 'self'",
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
  /** With CodecPrivate when the header gave it (H.264's avcC tells the profile: 4:4:4 is not for browsers). */
  tracks: (TrackSummary & { codecPrivate?: Buffer })[];
  live: boolean;
  /**
   * WebRTC: the WHEP path relative to the page (`whep`), or null when this server has none; `webrtcUnsupported`
   * is why this stream cannot go over WebRTC (HEVC, AAC, …), shown on the page.
   */
  whepPath?: string | null;
  webrtcUnsupported?: string | null;
}

/** The H.264 profile's name when browsers cannot play it (High 4:4:4 and the like), else null. */
function unplayableProfile(video: (TrackSummary & { codecPrivate?: Buffer }) | undefined): string | null {
  if (video?.codec !== 'h264') return null;
  const profile = avcProfile(video.codecPrivate);
  return profile && !profile.browserPlayable ? profile.name : null;
}

export function landingPage(input: LandingInput): string {
  const url = escapeHtml(input.streamUrl);
  const video = input.tracks.find((t) => t.kind === 'video');
  const audio = input.tracks.find((t) => t.kind === 'audio');
  const profile = unplayableProfile(video);
  const playable = (!video || BROWSER_VIDEO_CODECS.has(video.codec)) && !profile;
  // Before the input's header, tracks are unknown: a <video> then, which plays sound too.
  const soundOnly = !video && audio !== undefined;
  const commands = [
    ['VLC', `vlc --network-caching=300 ${input.streamUrl}`],
    ['mpv', `mpv --profile=low-latency --untimed ${input.streamUrl}`],
    ['ffplay', `ffplay -fflags nobuffer -flags low_delay -framedrop ${input.streamUrl}`],
  ];
  const src = escapeHtml(input.streamPath);
  const whep = input.whepPath && !input.webrtcUnsupported && !soundOnly ? escapeHtml(input.whepPath) : null;
  const webrtcData = whep ? ` data-whep="${whep}"` : '';
  const media = soundOnly
    ? `<audio id="player" data-src="${src}" controls autoplay muted></audio>`
    : `<video id="player" data-src="${src}"${webrtcData} controls autoplay muted playsinline></video>`;
  const transport = whep
    ? '<p id="transport" hidden><span id="transport-label"></span> <button type="button" id="transport-switch"></button></p>'
    : input.whepPath && input.webrtcUnsupported
      ? `<p id="transport">Playing the Matroska stream: ${escapeHtml(input.webrtcUnsupported)}</p>`
      : '';
  const soundBar = audio
    ? `<div class="sound">${soundOnly ? '<span class="sound-only" id="sound-only">Sound only: this stream has no picture.</span>' : ''}<button type="button" id="sound">Play sound</button></div>`
    : '';
  const player = playable
    ? `${media}
${transport}
${soundBar}
<p id="player-note" aria-live="polite">${input.live ? '' : 'Waiting for the stream to start…'}</p>`
    : profile
      ? `<p class="note" id="profile-note">This stream is H.264 ${escapeHtml(profile)}, which browsers cannot play (the sender chose the sharpest text, in full-colour 4:4:4). Open the link in VLC or mpv instead.</p>`
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
<script>${WEBRTC_SCRIPT}</script>
</body>
</html>
`;
}
