import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type CorsOriginError, parseCorsOrigin } from './http/cors.js';
import { shareableLinks } from './http/links.js';
import { pushCommand } from './input/http-ingest.js';
import { isWildcardHost, TcpSource } from './input/tcp-source.js';
import { newToken, webrtcPortsTooFew } from './settings.js';
import { demoSource } from './input/demo.js';
import { ServeService } from './serve.js';
import { formatUpload, formatUptime, share, SHARE_HELP, ShareUsageError } from './cli-share.js';
import { parsePortRange, portRangeProblem, type PortRange } from './webrtc/ports.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const HELP = `mkvcast ${VERSION}: share a screen or any media as a live Matroska stream on your network.

Usage:
  mkvcast serve [INPUT] [options]     serve INPUT to viewers over HTTP
  mkvcast demo [options]              serve a test picture with a clock and a tone (options as serve's)
  mkvcast share [options]             share a screen (see mkvcast share --help)
  mkvcast --help | --version

INPUT:
  FILE               any file ffmpeg reads, remuxed (no re-encode) and played in real time
  - (or nothing)     Matroska/WebM (or anything ffmpeg reads) on standard input, live
  URL                http(s)://, rtsp://, … opened by ffmpeg
  tcp://HOST:PORT    listen there for a pushed stream, e.g. tcp://127.0.0.1:9000, from
                     ffmpeg -f x11grab -i :0 -c:v libx264 -tune zerolatency -f matroska tcp://127.0.0.1:9000
                     (no authentication: for trusted networks; the next push continues the stream)
  --ingest           no INPUT: wait for pushes to PUT http://HOST:PORT/KEY/ingest (printed at start)

Options of serve (and demo):
  --port N           HTTP port (default 8080; 0 picks a free one)
  --host ADDR        address to listen on (default 0.0.0.0, every interface)
  --max-viewers N    viewers at once; more get 503 (default 64)
  --max-viewers-per-address N
                     viewers at once from one address (default 8)
  --cors ORIGIN      let pages from ORIGIN (e.g. http://192.168.1.5:3000) read the stream
                     and /status from their scripts (default: no other origin may)
  --max-lag SEC      a viewer further behind skips to the next keyframe (default 2)
  --fast-start N     also send N earlier GOPs to a new viewer: smoother start, more delay (default 0)
  --token VALUE      serve under /VALUE/ only; 'auto' makes a random one (default: none)
  --loop             play a file again when it ends
  --ingest           take the input as pushes over HTTP with a key (see INPUT)
  --ingest-key VALUE the ingest key (default: a new random one each run)
  --ffmpeg PATH      the ffmpeg binary (default: FFMPEG_PATH, then ffmpeg on PATH)
  --record FILE      also write the stream to FILE (Matroska; a new picture size starts FILE-2.mkv)
  --push URL         also send the stream there, copied, reconnecting by itself (repeatable):
                     icecast://source:PASSWORD@HOST:PORT/MOUNT, http://HOST:PORT/KEY/ingest
                     (another mkvcast), rtmp://HOST/APP/KEY (audio becomes AAC), srt://HOST:PORT
  --max-upload MBIT  refuse new viewers (503) once their copies would pass MBIT Mbit/s
  --webrtc-ports A-B UDP ports for WebRTC viewers (browsers, WHEP at /whep), e.g. 40000-40100
                     (default: any free port); --no-webrtc turns WebRTC viewers off
  -q, --quiet        print only the links and errors
  -v, --verbose      also log viewers joining and leaving
  -h, --help         this text
  --version          the version

Watch with:  vlc URL  ·  mpv --profile=low-latency --untimed URL  ·  ffplay -fflags nobuffer URL
`;

class UsageError extends Error {}

/** `--webrtc-ports A-B`, checked (against --max-viewers too: each WebRTC viewer takes a port). */
function webrtcPorts(value: string | undefined, maxViewers: number): PortRange | null {
  const problem = portRangeProblem(value ?? '');
  if (problem) throw new UsageError(`${problem} For example --webrtc-ports 40000-40100.`);
  const tooFew = webrtcPortsTooFew(value ?? '', maxViewers);
  if (tooFew) throw new UsageError(tooFew);
  return value ? parsePortRange(value) : null;
}

/** A bad command line in one sentence (Node's own message for an unknown option goes on about '--'). */
function usageMessage(error: Error): string {
  const unknown = /^Unknown option '([^']+)'/.exec(error.message);
  if (unknown) return `Unknown option '${unknown[1]}'.`;
  return error.message.trim().replace(/([^.])$/, '$1.');
}

function integer(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got '${value}').`);
  }
  return n;
}

function seconds(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number of seconds from ${min} to ${max} (got '${value}').`);
  }
  return n;
}

function token(value: string | undefined): string | null {
  if (value === undefined || value === 'none') return null;
  if (value === 'auto') return randomBytes(16).toString('base64url');
  if (!/^[A-Za-z0-9_-]{8,128}$/.test(value)) {
    throw new UsageError("--token must be 8–128 characters of A–Z, a–z, 0–9, '-' and '_' (or 'auto').");
  }
  return value;
}

function cors(value: string | undefined): string | null {
  if (value === undefined) return null;
  try {
    return parseCorsOrigin(value);
  } catch (error) {
    throw new UsageError(`--cors: ${(error as CorsOriginError).message} ${(error as CorsOriginError).fix}`);
  }
}

/** `--ingest` (with `--ingest-key VALUE` or a random key): the key; null without --ingest. */
function ingestKeyOf(ingest: boolean, key: string | undefined, input: string | undefined): string | null {
  if (!ingest) {
    if (key !== undefined) throw new UsageError('--ingest-key goes with --ingest.');
    return null;
  }
  if (input !== undefined)
    throw new UsageError(`--ingest takes no INPUT: it waits for pushes (got ${input}).`);
  if (key === undefined) return newToken();
  if (!/^[A-Za-z0-9_-]{8,128}$/.test(key)) {
    throw new UsageError("--ingest-key must be 8–128 characters of A–Z, a–z, 0–9, '-' and '_'.");
  }
  return key;
}

function fail(error: unknown): never {
  const e = error as { message?: string; fix?: string };
  process.stderr.write(`mkvcast: ${e.message ?? String(error)}${e.fix ? ` ${e.fix}` : ''}\n`);
  process.exit(1);
}

/** `mkvcast serve` and `mkvcast demo`, which serves its own test stream the same way. */
async function serve(argv: string[], command: 'serve' | 'demo' = 'serve'): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'max-viewers': { type: 'string' },
      'max-viewers-per-address': { type: 'string' },
      cors: { type: 'string' },
      'max-lag': { type: 'string' },
      'fast-start': { type: 'string' },
      token: { type: 'string' },
      loop: { type: 'boolean' },
      ingest: { type: 'boolean' },
      'ingest-key': { type: 'string' },
      ffmpeg: { type: 'string' },
      record: { type: 'string' },
      push: { type: 'string', multiple: true },
      'max-upload': { type: 'string' },
      'webrtc-ports': { type: 'string' },
      'no-webrtc': { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      verbose: { type: 'boolean', short: 'v' },
    },
  });
  if (positionals.length > 1) throw new UsageError(`One input at a time (got ${positionals.join(', ')}).`);
  const ingestKey = ingestKeyOf(values.ingest ?? false, values['ingest-key'], positionals[0]);
  if (ingestKey && values.quiet && values['ingest-key'] === undefined) {
    throw new UsageError(
      '--ingest with --quiet needs --ingest-key VALUE: a random key would be printed nowhere.',
    );
  }
  if (command === 'demo' && positionals.length > 0) {
    throw new UsageError(
      `mkvcast demo makes its own input (got ${positionals[0]}); to serve it, use mkvcast serve.`,
    );
  }
  const host = values.host ?? '0.0.0.0';
  if (!/^[A-Za-z0-9.:-]+$/.test(host))
    throw new UsageError(`--host must be an address such as 0.0.0.0 or 192.168.1.5.`);
  const quiet = values.quiet ?? false;
  const verbose = (values.verbose ?? false) && !quiet;
  // `problem`: a recording or push that failed, an error that --quiet still prints.
  const log = (line: string, problem = false): void => {
    if (!quiet || problem) process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}${line}\n`);
  };
  const maxViewers = integer('max-viewers', values['max-viewers'], 1, 100_000, 64);
  const service = new ServeService({
    input: positionals[0],
    source: command === 'demo' ? demoSource : undefined,
    onNotice: log,
    host,
    port: integer('port', values.port, 0, 65535, 8080),
    maxViewers,
    maxViewersPerAddress: integer(
      'max-viewers-per-address',
      values['max-viewers-per-address'],
      1,
      100_000,
      8,
    ),
    cors: cors(values.cors),
    maxLagMs: seconds('max-lag', values['max-lag'], 0.1, 60, 2) * 1000,
    fastStartSegments: integer('fast-start', values['fast-start'], 0, 10, 0),
    token: token(values.token),
    ingestKey,
    loop: values.loop ?? false,
    ffmpegPath: values.ffmpeg,
    record: values.record ?? null,
    pushes: values.push ?? [],
    maxUploadMbit:
      values['max-upload'] === undefined
        ? null
        : seconds('max-upload', values['max-upload'], 0.1, 100_000, 0),
    webrtc: !(values['no-webrtc'] ?? false),
    webrtcPorts: webrtcPorts(values['webrtc-ports'], maxViewers),
  });

  let signalled = false;
  const onSignal = (): void => {
    if (signalled) process.exit(130); // a second Ctrl-C: stop waiting
    signalled = true;
    void service.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const { port } = await service.start();
  // The links are printed once the input has sent its first frames, so that a link always plays: an
  // input that cannot be read fails here, with the server closed.
  const slow = setTimeout(() => log(`Opening ${service.source.description}…`), 1000);
  const live = await service.ready.finally(() => clearTimeout(slow));
  if (!live) {
    log('Stopped.');
    process.exit(0);
  }
  const path = service.server.streamPath;
  const links = shareableLinks(host, port, path);
  const say = (line: string): void => {
    if (!quiet) process.stdout.write(`${line}\n`);
  };
  say(`mkvcast ${VERSION} serving ${service.source.description}`);
  say('Watch on this network:');
  // Kept by --quiet: a link (with its token) is what nobody can guess.
  for (const link of links) process.stdout.write(`  ${link.url}   (${link.interfaceName})\n`);
  say(`Open the link in VLC or mpv, or ${links[0].url.replace(/live\.mkv$/, '')} in a browser.`);
  if (ingestKey) {
    say('Push the stream in with (the key is a secret: whoever has it can push):');
    say(`  ${pushCommand(new URL(links[0].url).origin, ingestKey)}`);
  }
  if (service.waitsForPush) {
    say(`Waiting for a stream pushed to ${service.source.description}; viewers can open the link now.`);
  }
  if (service.source instanceof TcpSource && isWildcardHost(service.source.host)) {
    log(
      `Warning: ${service.source.description} listens on every interface without authentication: anyone who can reach this machine can push a stream to your viewers, or hold the input so that you cannot. Bind it to 127.0.0.1 (tcp://127.0.0.1:PORT) on a network you do not trust, or use --ingest, which takes pushes with a key.`,
    );
  }
  if (verbose) {
    service.publisher.on('viewer-closed', (meta: { address: string; client: string }, reason: string) =>
      log(`viewer left: ${meta.client} from ${meta.address} (${reason})`),
    );
    let known = new Set<string>();
    service.publisher.on('viewers', (list: { id: string; address: string; client: string }[]) => {
      for (const v of list) if (!known.has(v.id)) log(`viewer joined: ${v.client} from ${v.address}`);
      known = new Set(list.map((v) => v.id));
    });
  }

  let statusTimer: NodeJS.Timeout | null = null;
  if (!quiet && process.stderr.isTTY) {
    statusTimer = setInterval(() => {
      const s = service.server.status();
      const rate =
        s.bitrateKbps >= 1000 ? `${(s.bitrateKbps / 1000).toFixed(1)} Mbit/s` : `${s.bitrateKbps} kbit/s`;
      const viewers = `${s.viewers.length} viewer${s.viewers.length === 1 ? '' : 's'}`;
      const upload = s.outputs ? ` · ${formatUpload(s.outputs.upload)}` : '';
      process.stderr.write(
        `\r\x1b[K${s.state} · ${viewers} · ${rate}${upload} · up ${formatUptime(s.uptimeSec)}`,
      );
    }, 1000);
    statusTimer.unref();
  }

  try {
    await service.done;
  } finally {
    if (statusTimer) {
      clearInterval(statusTimer);
      process.stderr.write('\r\x1b[K');
    }
  }
  log(signalled ? 'Stopped.' : 'The input ended; every viewer got the end of the stream.');
  process.exit(0);
}

const COMMANDS = ['serve', 'demo', 'share'] as const;

export async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  const command = COMMANDS.find((name) => name === first);
  try {
    if (first === '--version' || first === '-V' || (command && rest.includes('--version'))) {
      return void process.stdout.write(`${VERSION}\n`);
    }
    if (first === undefined && process.stdin.isTTY) return void process.stdout.write(HELP);
    if (first === 'share' && (rest.includes('--help') || rest.includes('-h'))) {
      return void process.stdout.write(SHARE_HELP);
    }
    if (
      first === '--help' ||
      first === '-h' ||
      first === 'help' ||
      argv.includes('--help') ||
      argv.includes('-h')
    ) {
      return void process.stdout.write(HELP);
    }
    if (command === 'share') {
      await share(rest);
      process.exit(0);
    }
    if (command === 'demo') return await serve(rest, 'demo');
    // `mkvcast INPUT` (the old server's usage) is `mkvcast serve INPUT`.
    await serve(first === 'serve' ? rest : argv);
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof ShareUsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      const help = command === 'share' ? 'mkvcast share --help' : 'mkvcast --help';
      process.stderr.write(`mkvcast: ${usageMessage(error as Error)} See ${help}.\n`);
      process.exit(2);
    }
    fail(error);
  }
}

void main(process.argv.slice(2));
