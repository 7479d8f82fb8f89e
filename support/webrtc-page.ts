/**
 * Watching the landing page's <video> from a test or a benchmark: which transport plays, the colour
 * of the newest decoded frame and when it was decoded (requestVideoFrameCallback + a 1×1 canvas), and
 * the page's RTCPeerConnections (counted by an init script that wraps the constructor). The page code
 * is kept as strings: this project's Node tsconfig has no DOM types.
 */
import type { BrowserContext, Page } from 'playwright-core';

const COUNT_PEERS = `
(() => {
  const Original = window.RTCPeerConnection;
  window.__peers = [];
  window.RTCPeerConnection = class extends Original {
    constructor(config) { super(config); window.__peers.push(this); }
  };
})();`;

/** Counts every RTCPeerConnection the pages of `context` make. Call before they load. */
export async function countPeers(context: BrowserContext): Promise<void> {
  await context.addInitScript(COUNT_PEERS);
}

/** The page's peer connections: how many there were, and the state of the last. */
export function peers(page: Page): Promise<{ count: number; state: string | null }> {
  return page.evaluate<{ count: number; state: string | null }>(
    `({ count: (window.__peers || []).length, state: (window.__peers || []).at(-1)?.connectionState ?? null })`,
  );
}

const SAMPLE_FRAMES = `
(() => {
  const video = document.getElementById('player');
  const canvas = document.createElement('canvas');
  canvas.width = 1;
  canvas.height = 1;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const frames = [];
  window.__frames = frames;
  const onFrame = () => {
    ctx.drawImage(video, 0, 0, 1, 1);
    const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
    frames.push({ atMs: performance.timeOrigin + performance.now(), rgb: [r, g, b] });
    if (frames.length > 2000) frames.splice(0, 1000);
    handle = video.requestVideoFrameCallback(onFrame);
  };
  let handle = video.requestVideoFrameCallback(onFrame);
  // A new source (the Matroska player reconnecting) may drop the pending callback: ask again.
  video.addEventListener('playing', () => {
    video.cancelVideoFrameCallback(handle);
    handle = video.requestVideoFrameCallback(onFrame);
  });
})()`;

/**
 * Starts sampling the page's video: each decoded frame's mean colour (scaled to one pixel) and when it
 * was shown, in epoch ms (comparable with Date.now() in this process).
 */
export async function sampleFrames(page: Page): Promise<void> {
  await page.evaluate(SAMPLE_FRAMES);
}

/** The first frame shown at or after `sinceMs` (epoch ms) whose colour is near `rgb` (each channel within 64: the
 * 1×1 average of a limited-range H.264 picture shows pure green as 0,215,0), or null. */
export function frameAfter(page: Page, sinceMs: number, rgb: number[]): Promise<{ atMs: number } | null> {
  return page.evaluate<{ atMs: number } | null>(
    `(window.__frames || []).find((f) => f.atMs >= ${Number(sinceMs)} && f.rgb.every((v, i) => Math.abs(v - ${JSON.stringify(rgb)}[i]) < 64)) ?? null`,
  );
}

/** The landing page's line about the transport (`Playing over WebRTC.`, …). */
export function transportLine(page: Page): Promise<string> {
  return page.evaluate<string>(`document.getElementById('transport-label')?.textContent ?? ''`);
}

const COUNT_FRAMES = `
(() => {
  const video = document.getElementById('player');
  const shown = [];
  window.__shown = shown;
  const onFrame = (now) => {
    shown.push(performance.timeOrigin + now);
    if (shown.length > 20000) shown.splice(0, 10000);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
})()`;

/** Starts noting when each of the page's video frames is shown (epoch ms), without reading its pixels. */
export async function countFrames(page: Page): Promise<void> {
  await page.evaluate(COUNT_FRAMES);
}

export interface PagePlayback {
  /** Frames shown a second over the window. */
  fps: number;
  /** Gaps between shown frames of `freezeMs` or more (a picture that stood still). */
  freezes: number;
  longestGapMs: number;
}

/** What `countFrames` saw between two epoch times. */
export async function playback(
  page: Page,
  fromMs: number,
  toMs: number,
  freezeMs = 200,
): Promise<PagePlayback> {
  const shown = await page.evaluate<number[]>(
    `(window.__shown || []).filter((t) => t >= ${Number(fromMs)} && t <= ${Number(toMs)})`,
  );
  let freezes = 0;
  let longestGapMs = shown.length ? shown[0] - fromMs : toMs - fromMs;
  for (let i = 1; i < shown.length; i++) {
    const gap = shown[i] - shown[i - 1];
    if (gap >= freezeMs) freezes += 1;
    longestGapMs = Math.max(longestGapMs, gap);
  }
  if (shown.length) longestGapMs = Math.max(longestGapMs, toMs - shown[shown.length - 1]);
  return {
    fps: Math.round((shown.length / ((toMs - fromMs) / 1000)) * 10) / 10,
    freezes,
    longestGapMs: Math.round(longestGapMs),
  };
}
