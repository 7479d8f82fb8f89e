/**
 * The picture test set: real screen content drawn on a private Xvfb screen and recorded losslessly
 * (libx264rgb at QP 0, so the clip is the screen, pixel for pixel), 1920×1080 at 30 fps. bench/quality.ts
 * encodes these with candidate settings and compares against them.
 *
 *   terminal  an xterm in which text is typed, then a source file scrolls by line after line
 *   web       a long article page scrolled in Chromium (a reader's pace: scroll, stop, scroll)
 *   slides    an HTML slide deck in Chromium, a fade or slide transition every 3 s
 *   video     a 1280×720 mpv window playing a moving, grainy test picture over a still desktop
 *   still     a desktop with a terminal full of text where nothing moves
 *
 * The files are large and made again by this script, so they stay out of git (bench/.testset/).
 * The recording runs at the real frame rate; the frame count is checked against duration × fps and a
 * clip that lost more than 2% is reported (the machine was too busy: record it again).
 *
 *   node dist/bench/testset.js [--seconds 20] [--only terminal,web] [--force]
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { killAll, runToExit, spawnTracked } from '../support/processes.js';
import { startXvfb, type Xvfb } from '../support/xvfb.js';

export const TESTSET_DIR = fileURLToPath(new URL('../../bench/.testset/', import.meta.url));
export const CLIP_WIDTH = 1920;
export const CLIP_HEIGHT = 1080;
export const CLIP_FPS = 30;
export const CLIP_NAMES = ['terminal', 'web', 'slides', 'video', 'still'] as const;
export type ClipName = (typeof CLIP_NAMES)[number];

export const clipPath = (name: ClipName): string => path.join(TESTSET_DIR, `${name}.mkv`);

const SOURCE_FILE = fileURLToPath(new URL('../../server/ffmpeg/capture.ts', import.meta.url));

/** What one clip needs on the screen while it is recorded; returns a function that clears it away. */
type Scene = (xvfb: Xvfb, seconds: number) => Promise<() => Promise<void>>;

const env = (xvfb: Xvfb): Record<string, string> =>
  ({ ...process.env, DISPLAY: xvfb.display }) as Record<string, string>;

function xterm(xvfb: Xvfb, geometry: string, script: string): () => Promise<void> {
  const child = spawnTracked(
    'xterm',
    [
      '-geometry',
      geometry,
      '-fa',
      'DejaVu Sans Mono',
      '-fs',
      '12',
      '-bg',
      '#1e1e1e',
      '-fg',
      '#d4d4d4',
      '-e',
      'bash',
      '-c',
      script,
    ],
    { stdio: 'ignore', env: env(xvfb) },
  );
  return async () => {
    child.kill('SIGTERM');
  };
}

/** Types `text` one character at a time, as a person does. */
const typing = (text: string, delaySec: number): string =>
  `t=${JSON.stringify(text)}; for ((i=0;i<\${#t};i++)); do printf '%s' "\${t:i:1}"; sleep ${delaySec}; done; echo`;

const terminal: Scene = async (xvfb) => {
  const script = [
    'export PS1="$ "',
    `printf '$ '`,
    typing('git log --oneline | head -20 && cat server/ffmpeg/capture.ts', 0.06),
    `git -C ${JSON.stringify(path.dirname(SOURCE_FILE))} log --oneline | head -20`,
    `while IFS= read -r line; do printf '%s\\n' "$line"; sleep 0.08; done < ${JSON.stringify(SOURCE_FILE)}`,
    'sleep 600',
  ].join('; ');
  const close = xterm(xvfb, '200x64+0+0', script);
  await sleep(1500);
  return close;
};

const still: Scene = async (xvfb) => {
  await xvfb.paint('#2d5b86');
  const close = xterm(xvfb, '120x40+80+60', `head -38 ${JSON.stringify(SOURCE_FILE)}; sleep 600`);
  await sleep(1500);
  return close;
};

const video: Scene = async (xvfb) => {
  await xvfb.paint('#3a3a3a');
  const term = xterm(xvfb, '100x50+0+0', `head -48 ${JSON.stringify(SOURCE_FILE)}; sleep 600`);
  const mpv = spawnTracked(
    'mpv',
    [
      '--no-config',
      '--no-audio',
      '--no-osc',
      '--no-border',
      '--geometry=1280x720+560+300',
      '--loop=inf',
      '--vo=x11',
      '--hwdec=no',
      // A moving test picture (testsrc2: colour bars, a moving gradient line, a counter); grain made the lossless clip ~1 GB.
      'av://lavfi:testsrc2=s=1280x720:r=30',
    ],
    { stdio: 'ignore', env: env(xvfb) },
  );
  await sleep(2500);
  return async () => {
    mpv.kill('SIGTERM');
    await term();
  };
};

const LOREM =
  'Screen sharing is mostly still text and slides, with now and then a window that moves. The encoder ' +
  'should spend its bits where the eye notices them: on the edges of letters, which blur first, and not ' +
  'on the flat backgrounds around them. ';

function articleHtml(): string {
  const sections = Array.from({ length: 24 }, (_, i) => {
    const hue = (i * 47) % 360;
    return `<h2>Section ${i + 1}: ${['Capture', 'Encode', 'Mux', 'Serve', 'Play'][i % 5]}</h2>
<p>${LOREM.repeat(3)}</p>
<div class="fig" style="background:linear-gradient(135deg,hsl(${hue},70%,60%),hsl(${(hue + 90) % 360},60%,35%))">Figure ${i + 1}</div>
<p>${LOREM.repeat(2)}<a href="#">a link</a> and <code>ffmpeg -f x11grab</code> in a sentence.</p>
<ul><li>${LOREM.slice(0, 80)}</li><li>${LOREM.slice(80, 170)}</li></ul>`;
  }).join('\n');
  return `<!doctype html><html><head><style>
body{margin:0;font:18px/1.6 "DejaVu Serif",serif;background:#fff;color:#222}
header{position:sticky;top:0;background:#24292f;color:#fff;padding:12px 40px;font:bold 20px sans-serif}
main{max-width:960px;margin:0 auto;padding:20px 40px}
.fig{height:280px;border-radius:8px;color:#fff;font:bold 32px sans-serif;display:flex;align-items:center;justify-content:center}
code{background:#f0f0f0;padding:2px 4px}
</style></head><body><header>mkvcast docs — picture quality</header><main>${sections}</main></body></html>`;
}

function slidesHtml(): string {
  const slides = Array.from({ length: 12 }, (_, i) => {
    const bars = Array.from({ length: 6 }, (_, b) => {
      const h = 40 + ((i * 37 + b * 53) % 200);
      return `<rect x="${40 + b * 70}" y="${260 - h}" width="50" height="${h}" fill="hsl(${(b * 60 + i * 20) % 360},65%,50%)"/>`;
    }).join('');
    return `<section class="slide${i % 2 ? ' slide-x' : ''}"><h1>${i + 1}. ${['Why screens are different', 'What viewers see', 'Bits per text edge', 'Latency budget', 'Results'][i % 5]}</h1>
<div class="cols"><ul><li>Still text compresses to almost nothing between changes</li><li>Edges blur first at low bitrates</li><li>Chroma subsampling smears coloured text</li><li>Slide ${i + 1} of 12, ${new Date(0).toISOString().slice(0, 10)}</li></ul>
<svg width="480" height="280"><rect width="480" height="280" fill="#f4f4f4"/>${bars}</svg></div></section>`;
  }).join('\n');
  return `<!doctype html><html><head><style>
body{margin:0;overflow:hidden;background:#102030;font-family:"DejaVu Sans",sans-serif}
.slide{position:absolute;inset:0;padding:80px 120px;background:linear-gradient(#fdfdfd,#e8eef5);opacity:0;transition:opacity .6s,transform .6s}
.slide-x{transform:translateX(100%)}
.slide.on{opacity:1;transform:none}
h1{font-size:64px;color:#1a3a5a;margin:0 0 40px}
.cols{display:flex;gap:60px}
ul{font-size:36px;line-height:1.6;color:#333;width:900px}
</style></head><body>${slides}<script>
const s=[...document.querySelectorAll('.slide')];let i=0;s[0].classList.add('on');
setInterval(()=>{s[i].classList.remove('on');i=(i+1)%s.length;s[i].classList.add('on')},3000);
</script></body></html>`;
}

async function openInChromium(
  xvfb: Xvfb,
  html: string,
  name: string,
): Promise<{ browser: Browser; run: (js: string) => Promise<void> }> {
  const file = path.join(TESTSET_DIR, `${name}.html`);
  await writeFile(file, html);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: false,
    env: env(xvfb),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--kiosk',
      '--window-position=0,0',
      `--window-size=${CLIP_WIDTH},${CLIP_HEIGHT}`,
    ],
    timeout: 30_000,
  });
  const page = await browser.newPage({ viewport: null });
  await page.goto(`file://${file}`);
  await sleep(2000);
  return {
    browser,
    run: async (js) => {
      await page.evaluate(js);
    },
  };
}

const web: Scene = async (xvfb) => {
  const { browser, run } = await openInChromium(xvfb, articleHtml(), 'web');
  // A reader's pace: 1.5 s of smooth scrolling, then 1.5 s of reading, again and again.
  await run(`(() => { const t0 = performance.now();
    const step = (t) => { const p = ((t - t0) / 1500) | 0; if (p % 2 === 0) window.scrollBy(0, 6); requestAnimationFrame(step); };
    requestAnimationFrame(step); })()`);
  return () => browser.close();
};

const slides: Scene = async (xvfb) => {
  const { browser } = await openInChromium(xvfb, slidesHtml(), 'slides');
  return () => browser.close();
};

const SCENES: Record<ClipName, Scene> = { terminal, web, slides, video, still };

export interface RecordResult {
  name: ClipName;
  frames: number;
  expectedFrames: number;
  bytes: number;
}

/** Records `seconds` of the display losslessly; the frame count tells whether the grab kept up. */
async function record(xvfb: Xvfb, out: string, seconds: number): Promise<number> {
  const result = await runToExit(
    'ffmpeg',
    [
      '-hide_banner',
      '-y',
      '-loglevel',
      'error',
      '-progress',
      'pipe:1',
      '-f',
      'x11grab',
      '-framerate',
      String(CLIP_FPS),
      '-video_size',
      `${CLIP_WIDTH}x${CLIP_HEIGHT}`,
      '-draw_mouse',
      '0',
      '-i',
      `${xvfb.display}+0,0`,
      '-t',
      String(seconds),
      '-c:v',
      'libx264rgb',
      '-qp',
      '0',
      '-preset',
      'ultrafast',
      '-threads',
      '2',
      out,
    ],
    { timeoutMs: (seconds + 60) * 1000 },
  );
  if (result.code !== 0) throw new Error(`recording ${out} failed: ${result.stderr}`);
  const frames = [...result.stdout.toString('utf8').matchAll(/^frame=(\d+)/gm)].at(-1)?.[1];
  return Number(frames ?? 0);
}

export async function makeTestset(options: {
  seconds: number;
  only: readonly ClipName[];
  force: boolean;
}): Promise<RecordResult[]> {
  await mkdir(TESTSET_DIR, { recursive: true });
  const results: RecordResult[] = [];
  for (const name of options.only) {
    const out = clipPath(name);
    if (!options.force) {
      const existing = await stat(out).catch(() => null);
      if (existing) continue;
    }
    const xvfb = await startXvfb([{ width: CLIP_WIDTH, height: CLIP_HEIGHT }]);
    try {
      await xvfb.paint('#202428');
      const clear = await SCENES[name](xvfb, options.seconds);
      try {
        const frames = await record(xvfb, `${out}.part.mkv`, options.seconds);
        await rm(out, { force: true });
        await runToExit('mv', [`${out}.part.mkv`, out]);
        const expectedFrames = options.seconds * CLIP_FPS;
        const { size } = await stat(out);
        results.push({ name, frames, expectedFrames, bytes: size });
      } finally {
        await clear();
      }
    } finally {
      await xvfb.stop();
    }
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { seconds: { type: 'string' }, only: { type: 'string' }, force: { type: 'boolean' } },
  });
  const only = (values.only?.split(',') ?? CLIP_NAMES) as ClipName[];
  for (const name of only)
    if (!CLIP_NAMES.includes(name))
      throw new Error(`unknown clip ${name}; pick from ${CLIP_NAMES.join(', ')}`);
  try {
    const results = await makeTestset({
      seconds: Number(values.seconds ?? 20),
      only,
      force: values.force ?? false,
    });
    for (const r of results) {
      const lost = 1 - r.frames / r.expectedFrames;
      console.log(
        `${r.name}: ${r.frames}/${r.expectedFrames} frames, ${(r.bytes / 1e6).toFixed(1)} MB${lost > 0.02 ? '  LOST FRAMES: record again on a quieter machine' : ''}`,
      );
    }
  } finally {
    await killAll();
  }
}
