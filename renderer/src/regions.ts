import type { ScreenInfo } from '../../server/api.js';

/** A part of a screen the picker offers by name, as the `WxH+X+Y` Settings.region takes. */
export interface RegionPreset {
  id: 'left' | 'right' | 'top' | 'bottom';
  label: string;
  region: string;
}

/** Halves are rounded down to even sizes: H.264 in 4:2:0 needs them (server/region.ts checks it). */
const even = (n: number): number => n - (n % 2);

/** The halves of `screen` (the left half of an ultrawide screen is the usual wish), in its own pixels. */
export function regionPresets(screen: Pick<ScreenInfo, 'width' | 'height'>): RegionPreset[] {
  const w = even(Math.floor(screen.width / 2));
  const h = even(Math.floor(screen.height / 2));
  const fullW = even(screen.width);
  const fullH = even(screen.height);
  return [
    { id: 'left', label: 'Left half', region: `${w}x${fullH}+0+0` },
    { id: 'right', label: 'Right half', region: `${w}x${fullH}+${screen.width - w}+0` },
    { id: 'top', label: 'Top half', region: `${fullW}x${h}+0+0` },
    { id: 'bottom', label: 'Bottom half', region: `${fullW}x${h}+0+${screen.height - h}` },
  ];
}
