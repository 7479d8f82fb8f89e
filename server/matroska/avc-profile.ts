/**
 * The H.264 profile of a stream, read from its avcC (Matroska's CodecPrivate for V_MPEG4/ISO/AVC):
 * byte 0 is the configuration version (1), byte 1 the profile_idc. Browsers decode Baseline, Main and
 * High; the 10-bit, 4:2:2 and 4:4:4 profiles (the "Sharpest text" preset is High 4:4:4) play in VLC and
 * mpv only.
 */

export interface AvcProfile {
  profileIdc: number;
  /** For people: "High 4:4:4 Predictive", "High", … */
  name: string;
  /** Whether Chromium, Firefox and Safari play it from a <video> or WebRTC. */
  browserPlayable: boolean;
}

const PROFILES: Readonly<Record<number, { name: string; browserPlayable: boolean }>> = {
  66: { name: 'Baseline', browserPlayable: true },
  77: { name: 'Main', browserPlayable: true },
  88: { name: 'Extended', browserPlayable: false },
  100: { name: 'High', browserPlayable: true },
  110: { name: 'High 10', browserPlayable: false },
  122: { name: 'High 4:2:2', browserPlayable: false },
  244: { name: 'High 4:4:4 Predictive', browserPlayable: false },
  44: { name: 'CAVLC 4:4:4 Intra', browserPlayable: false },
};

/** The profile in an avcC, or null when the bytes are not an avcC (too short, or not version 1). */
export function avcProfile(avcC: Buffer | undefined): AvcProfile | null {
  if (!avcC || avcC.length < 4 || avcC[0] !== 1) return null;
  const profileIdc = avcC[1];
  const known = PROFILES[profileIdc];
  return known
    ? { profileIdc, ...known }
    : { profileIdc, name: `profile ${profileIdc}`, browserPlayable: false };
}
