/**
 * The packaging config, checked without building a package: what electron-builder will read
 * (parsed with the js-yaml it uses itself), checked by electron-builder's own code where it can be
 * called alone (its configuration schema, the deb target's metadata check, its AppArmor template
 * expansion and after-install script), and that the files it points at exist.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ffmpegPath } from '../support/media.js';
import { runToExit } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };

interface BuilderConfig {
  appId: string;
  productName: string;
  deb: { appArmorProfile?: string; afterInstall?: string };
  files: string[];
  asarUnpack: string[];
  directories: { output: string; buildResources: string };
  linux: { target: string[]; icon: string; executableName: string; maintainer?: string };
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
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  name: string;
  homepage?: string;
  author?: { name: string; email?: string };
};

// electron-builder's own code, from the app-builder-lib it builds with.
const BUILDER_LIB = dirname(require.resolve('app-builder-lib/package.json'));
const { validateConfiguration } = require(join(BUILDER_LIB, 'out/util/config/config.js')) as {
  validateConfiguration(config: unknown, debugLogger: { isEnabled: boolean }): Promise<void>;
};
const FpmTarget = (
  require(join(BUILDER_LIB, 'out/targets/FpmTarget.js')) as { default: { prototype: object } }
).default;
const { AppInfo, filterCFBundleIdentifier } = require(join(BUILDER_LIB, 'out/appInfo.js')) as {
  AppInfo: { prototype: object };
  filterCFBundleIdentifier(id: string): string;
};
const appImageUtil = require(join(BUILDER_LIB, 'out/targets/appimage/appImageUtil.js')) as {
  validateCriticalPathString(value: string, field: string): void;
  generateAppRunScript(config: Record<string, string>): string;
};

/**
 * The deb (fpm) target's metadata check, FpmTarget.computeFpmMetaInfoOptions, run on its own: a target
 * and an AppInfo with only what that method reads (the package.json metadata and the linux+deb options).
 */
async function debMetadata(metadata: typeof pkg, options: object): Promise<Record<string, string>> {
  const appInfo = Object.create(AppInfo.prototype, {
    info: { value: { metadata, repositoryInfo: Promise.resolve(null) } },
    notNullDevMetadata: { value: metadata },
    linuxPackageName: { value: metadata.name },
  }) as object;
  const target = Object.create(FpmTarget.prototype, {
    packager: { value: { appInfo, info: { metadata } } },
    options: { value: options },
  }) as { computeFpmMetaInfoOptions(): Promise<Record<string, string>> };
  return target.computeFpmMetaInfoOptions();
}

/** PNG width and height from the IHDR chunk. */
function pngSize(path: string): [number, number] {
  const bytes = readFileSync(path);
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG', `${path} is a PNG`);
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

describe('electron-builder.yml', () => {
  it("passes electron-builder's own configuration schema", async () => {
    await validateConfiguration(config, { isEnabled: false });
    await assert.rejects(
      validateConfiguration({ ...config, linux: { ...config.linux, nonsense: 1 } }, { isEnabled: false }),
    );
  });

  it("deb: electron-builder's fpm target finds a homepage and a maintainer with an email", async () => {
    const options = { ...config.linux, ...config.deb };
    const meta = await debMetadata(pkg, options);
    assert.equal(meta.url, pkg.homepage);
    assert.match(meta.maintainer ?? '', /^[^<>]+ <[^@\s]+@[^@\s]+>$/);
    assert.equal(meta.name, 'mkvcast');
    // The same check refuses what package.json and the yml had before (the deb target stopped there).
    const bare = { main: pkg.main, name: pkg.name };
    await assert.rejects(
      debMetadata(bare, { ...options, maintainer: undefined }),
      /specify project homepage[\s\S]*author 'email'/,
    );
    assert.ok(pkg.author?.email, 'package.json author has an email (fpm falls back to it)');
  });

  it('macOS: the appId is a bundle identifier electron-builder keeps as it is', () => {
    assert.equal(filterCFBundleIdentifier(config.appId), config.appId);
    assert.notEqual(
      filterCFBundleIdentifier('org.mkvcast_app'),
      'org.mkvcast_app',
      'the filter does change bad ones',
    );
  });

  it("AppImage and NSIS: electron-builder's own checks of the names and installer options pass", () => {
    appImageUtil.validateCriticalPathString(config.linux.executableName, 'executableName');
    appImageUtil.validateCriticalPathString(config.productName, 'productFilename');
    // NSIS refuses allowToChangeInstallationDirectory in a one-click installer.
    const nsis = (
      config as unknown as { nsis: { oneClick: boolean; allowToChangeInstallationDirectory: boolean } }
    ).nsis;
    assert.ok(!nsis.allowToChangeInstallationDirectory || nsis.oneClick === false);
  });

  it("AppImage: electron-builder's launcher turns the sandbox off where user namespaces fail (why the app warns)", () => {
    const appRun = appImageUtil.generateAppRunScript({
      DesktopFileName: 'mkvcast.desktop',
      ExecutableName: 'mkvcast',
      ProductName: 'mkvcast',
      ProductFilename: 'mkvcast',
      ResourceName: 'appimagekit-mkvcast',
    });
    assert.match(appRun, /! unshare -Ur true[^\n]*; then\n\s*NO_SANDBOX=\(--no-sandbox\)/);
  });

  it('deb: ships an AppArmor profile that lets the installed binary make user namespaces (Ubuntu 24.04+)', () => {
    assert.ok(config.deb.appArmorProfile, 'deb.appArmorProfile is set');
    const template = readFileSync(join(ROOT, config.deb.appArmorProfile), 'utf8');
    // Expanded as electron-builder's writeConfigFile does: ${name} from the packager's values, others refused.
    const values: Record<string, string> = {
      executable: config.linux.executableName,
      sanitizedProductName: config.productName,
    };
    const profile = template.replace(/\$\{([a-zA-Z]+)\}/g, (_m, name: string) => {
      assert.ok(name in values, `electron-builder defines \${${name}}`);
      return values[name] as string;
    });
    assert.match(profile, /^abi <abi\/4\.0>,$/m);
    assert.match(profile, /^profile mkvcast "\/opt\/mkvcast\/mkvcast" flags=\(unconfined\) \{$/m);
    assert.match(profile, /^\s+userns,$/m);
    // No after-install of our own: electron-builder's installs resources/apparmor-profile, where its
    // fpm target copies deb.appArmorProfile.
    assert.equal(config.deb.afterInstall, undefined);
    const afterInstall = readFileSync(join(BUILDER_LIB, 'templates/linux/after-install.tpl'), 'utf8');
    assert.match(afterInstall, /resources\/apparmor-profile/);
    assert.match(afterInstall, /\/etc\/apparmor\.d\/\$\{executable\}/);
    const fpm = readFileSync(join(BUILDER_LIB, 'out/targets/FpmTarget.js'), 'utf8');
    assert.match(fpm, /this\.options\.appArmorProfile/);
  });

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

  it('needs no runtime dependency but dbus-next (the Wayland portal) and werift (WebRTC), both pure JS, and the optional ffmpeg-static', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(manifest.dependencies as object), ['dbus-next', 'werift']);
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
