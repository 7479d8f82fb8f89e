import type { ScreenInfo } from './api.js';

/** A part of one screen, in that screen's pixels, from its top-left corner. */
export interface Region {
  width: number;
  height: number;
  x: number;
  y: number;
}

/** X11's geometry form, as xwininfo and `--region` write it: `WxH+X+Y`. */
const REGION_PATTERN = /^(\d{1,5})x(\d{1,5})\+(\d{1,5})\+(\d{1,5})$/;

/** `WxH+X+Y` to a Region; null when it is not in that form. An empty string is the whole screen. */
export function parseRegion(text: string): Region | null {
  const m = REGION_PATTERN.exec(text.trim());
  if (!m) return null;
  const [width, height, x, y] = m.slice(1).map(Number);
  return { width, height, x, y };
}

/**
 * What is wrong with a region setting on its own (the settings check): the form, and sizes H.264 can
 * encode in 4:2:0 (even, at least 16 pixels). Whether it fits the screen is known only with the screen.
 */
export function regionSyntaxProblem(text: string): string | null {
  if (text === '') return null;
  const region = parseRegion(text);
  if (!region)
    return `The region must be WxH+X+Y, e.g. 960x1080+0+0 for the left half of a 1080p screen (got '${text}').`;
  if (region.width % 2 !== 0 || region.height % 2 !== 0 || region.width < 16 || region.height < 16) {
    return `The region's width and height must be even numbers of at least 16 pixels (got ${region.width}x${region.height}).`;
  }
  return null;
}

/** Null when `region` lies inside `screen`; otherwise what to change. */
export function regionOutside(region: Region, screen: ScreenInfo): string | null {
  if (region.x + region.width <= screen.width && region.y + region.height <= screen.height) return null;
  return (
    `The region ${region.width}x${region.height}+${region.x}+${region.y} reaches outside the screen ` +
    `${screen.name} (${screen.width}x${screen.height}): x + width must be at most ${screen.width} and ` +
    `y + height at most ${screen.height}.`
  );
}

/** The part of the screen to capture, as a screen of its own (offsets on the whole desktop). */
export function cropScreen(screen: ScreenInfo, regionText: string): ScreenInfo {
  const region = regionText === '' ? null : parseRegion(regionText);
  if (!region) return screen;
  return {
    ...screen,
    x: screen.x + region.x,
    y: screen.y + region.y,
    width: region.width,
    height: region.height,
  };
}
