/**
 * The packaging config, checked without building a package: what electron-builder will read
 * (parsed with the js-yaml it uses itself), and that the files it points at exist.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ffmpegPath } from '../support/media.js';
import { runToExit } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };

interface BuilderConfig {
  appId: string;
  files: string[];
  asarUnpack: string[];
  directories: { output: string; buildResources: string };
  linux: { target: string[]; icon: string };
  win: { target: string[] };
  electronFuses: Record<string, boolean>;
  mac: {
    target: string[];
    hardenedRuntime: boolean;
    entitlements: string;
    entitlementsInherit: string;
    extendInfo: Record<string, string>;
  };
}

const config = yaml.load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };

/** PNG width and height from the IHDR chunk. */
function pngSize(path: string): [number, number] {
  const bytes = readFileSync(path);
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG', `${path} is a PNG`);
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

describe('electron-builder.yml', () => {
  it('builds an AppImage and a deb, an NSIS installer, and a dmg', () => {
    assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
    assert.deepEqual(config.win.target, ['nsis']);
    assert.deepEqual(config.mac.target, ['dmg']);
    assert.equal(config.directories.output, 'release', 'the output folder is gitignored');
  });

  it('packs the built app (main, preload, renderer, icons) and unpacks ffmpeg-static from the asar', () => {
    assert.ok(config.asarUnpack.includes('node_modules/ffmpeg-static/**'));
    for (const pattern of [
      'dist/electron/**',
      'dist/server/**',
      'renderer/dist/**',
      'assets/**',
      'package.json',
    ]) {
      assert.ok(config.files.includes(pattern), `files has ${pattern}`);
    }
    assert.ok(pkg.main.startsWith('dist/electron/'), `package.json main (${pkg.main}) is packed`);
    // After `npm run build` (which npm test runs first):
    for (const built of [pkg.main, 'dist/electron/preload.cjs', 'renderer/dist/index.html']) {
      assert.ok(existsSync(join(ROOT, built)), `${built} is built`);
    }
  });

  it("flips Electron's fuses: no run-as-node, NODE_OPTIONS or --inspect, app.asar only, no file:// powers", () => {
    assert.deepEqual(config.electronFuses, {
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('needs no runtime dependency but the optional ffmpeg-static: the packaged app ships no other npm code', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest.dependencies, undefined);
    assert.deepEqual(Object.keys(manifest.optionalDependencies as object), ['ffmpeg-static']);
  });

  it('macOS: hardened runtime with entitlements, and says why it records the screen', () => {
    assert.equal(config.mac.hardenedRuntime, true);
    const plist = readFileSync(join(ROOT, config.mac.entitlements), 'utf8');
    assert.equal(config.mac.entitlementsInherit, config.mac.entitlements);
    for (const key of ['com.apple.security.cs.allow-jit', 'com.apple.security.network.server']) {
      assert.match(plist, new RegExp(`<key>${key.replace(/\./g, '\\.')}</key>\\s*<true/>`));
    }
    assert.match(config.mac.extendInfo.NSScreenCaptureUsageDescription ?? '', /screen/);
  });

  it('the icons exist: a 1024 px app icon for the installers, 32 and 64 px tray icons for idle and live', () => {
    assert.deepEqual(pngSize(join(ROOT, config.linux.icon)), [1024, 1024]);
    assert.deepEqual(pngSize(join(ROOT, 'assets/icon.png')), [512, 512]);
    for (const state of ['idle', 'live']) {
      assert.deepEqual(pngSize(join(ROOT, `assets/tray-${state}.png`)), [32, 32]);
      assert.deepEqual(pngSize(join(ROOT, `assets/tray-${state}@2x.png`)), [64, 64]);
    }
  });

  it('macOS tray template images: 16 and 32 px, black with transparency only, idle and live told apart', async () => {
    const pixels: Buffer[] = [];
    for (const state of ['idle', 'live']) {
      assert.deepEqual(pngSize(join(ROOT, `assets/tray-${state}Template.png`)), [16, 16]);
      const file = join(ROOT, `assets/tray-${state}Template@2x.png`);
      assert.deepEqual(pngSize(file), [32, 32]);
      const rgba = await runToExit(ffmpegPath, [
        '-v',
        'error',
        '-i',
        file,
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgba',
        '-',
      ]);
      assert.equal(rgba.stdout.length, 32 * 32 * 4, rgba.stderr);
      for (let i = 0; i < rgba.stdout.length; i += 4) {
        assert.deepEqual(
          [...rgba.stdout.subarray(i, i + 3)],
          [0, 0, 0],
          `${file}: only black, shaped by alpha`,
        );
      }
      pixels.push(rgba.stdout);
    }
    assert.ok(!pixels[0].equals(pixels[1]), 'the idle and live templates differ');
  });
});
