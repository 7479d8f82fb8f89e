/**
 * Checks a WHEP offer (RFC 9725 §4.2: an SDP offer, RFC 8866) before anything is allocated for it,
 * and narrows it to what we send: one H.264 payload type in packetization mode 1 (RFC 6184 §8.1;
 * mode 0 cannot carry our large frames) and Opus. The narrowed offer is what the WebRTC library
 * answers, so its answer names exactly the payload types the payloaders use.
 */
import { WebRtcError } from './errors.js';

export const MAX_OFFER_BYTES = 64 * 1024;

export interface CheckedOffer {
  /** The offer with every video codec but the chosen H.264 and every audio codec but Opus removed. */
  sdp: string;
  video: { mid: string; payloadType: number; profileLevelId: string | null };
  audio: { mid: string; payloadType: number } | null;
}

interface Section {
  lines: string[];
}

const FIX_OFFER =
  'Send an SDP offer (Content-Type: application/sdp) from a WebRTC stack, e.g. RTCPeerConnection.createOffer().';

function badOffer(message: string, fix = FIX_OFFER): WebRtcError {
  return new WebRtcError('BAD_OFFER', message, fix);
}

/** What `rtpmap` and `fmtp` say of each payload type in one media section. */
function codecsOf(section: Section): Map<number, { name: string; clock: number; fmtp: string }> {
  const codecs = new Map<number, { name: string; clock: number; fmtp: string }>();
  for (const line of section.lines) {
    const rtpmap = /^a=rtpmap:(\d+) ([^/\s]+)\/(\d+)/.exec(line);
    if (rtpmap)
      codecs.set(Number(rtpmap[1]), { name: rtpmap[2].toLowerCase(), clock: Number(rtpmap[3]), fmtp: '' });
  }
  for (const line of section.lines) {
    const fmtp = /^a=fmtp:(\d+) (.*)$/.exec(line);
    const codec = fmtp ? codecs.get(Number(fmtp[1])) : undefined;
    if (fmtp && codec) codec.fmtp = fmtp[2];
  }
  return codecs;
}

function fmtpParam(fmtp: string, name: string): string | null {
  for (const part of fmtp.split(';')) {
    const [key, value] = part.trim().split('=');
    if (key?.toLowerCase() === name) return value ?? '';
  }
  return null;
}

/** Keeps one payload type in a media section: its m= format list and its a= lines. */
function keepOnly(section: Section, payloadType: number): string[] {
  const [mline, ...rest] = section.lines;
  const parts = mline.split(' ');
  const m = [...parts.slice(0, 3), String(payloadType)].join(' ');
  const kept = rest.filter((line) => {
    const match = /^a=(rtpmap|fmtp|rtcp-fb):(\d+|\*)[ ]/.exec(line);
    return !match || match[2] === '*' || Number(match[2]) === payloadType;
  });
  return [m, ...kept];
}

/**
 * The offer, checked and narrowed. `streamProfile` (six hex digits from the avcC) picks the H.264
 * payload type whose profile matches, when the offer has one. Throws BAD_OFFER or NO_H264 with what is
 * wrong.
 */
export function checkOffer(sdp: string, streamProfile: string | null): CheckedOffer {
  if (sdp.length > MAX_OFFER_BYTES)
    throw badOffer(`The offer is ${sdp.length} bytes, over the ${MAX_OFFER_BYTES}-byte limit.`);
  const lines = sdp.split(/\r?\n/).filter((line) => line.length > 0);
  if (lines[0] !== 'v=0') throw badOffer('The body is not an SDP offer: it does not start with "v=0".');
  if (lines.some((line) => !/^[a-z]=/.test(line))) {
    throw badOffer('The offer has a line that is not "<letter>=<value>" (RFC 8866 §5).');
  }
  const session: string[] = [];
  const sections: Section[] = [];
  for (const line of lines) {
    if (line.startsWith('m=')) sections.push({ lines: [line] });
    else if (sections.length === 0) session.push(line);
    else sections[sections.length - 1].lines.push(line);
  }
  const kindOf = (s: Section): string => s.lines[0].slice(2).split(' ')[0];
  const midOf = (s: Section): string | null =>
    s.lines
      .find((l) => l.startsWith('a=mid:'))
      ?.slice(6)
      .trim() ?? null;
  const wantsToReceive = (s: Section): boolean =>
    !s.lines.some((l) => l === 'a=sendonly' || l === 'a=inactive');
  if (!lines.some((l) => l.startsWith('a=fingerprint:'))) {
    throw badOffer('The offer has no DTLS fingerprint (a=fingerprint), which WebRTC requires.');
  }
  if (!lines.some((l) => l.startsWith('a=ice-ufrag:')))
    throw badOffer('The offer has no ICE credentials (a=ice-ufrag).');
  const videos = sections.filter((s) => kindOf(s) === 'video');
  if (videos.length === 0) {
    throw new WebRtcError(
      'NO_H264',
      'The offer has no video section (m=video).',
      'Add a recvonly video transceiver to the peer connection before createOffer().',
    );
  }
  const videoSection = videos[0];
  if (!wantsToReceive(videoSection)) {
    throw badOffer(
      "The offer's video section does not receive (it is sendonly or inactive).",
      'Add the video transceiver with direction "recvonly".',
    );
  }
  const videoMid = midOf(videoSection);
  if (videoMid === null) throw badOffer("The offer's video section has no a=mid, which BUNDLE needs.");
  const h264 = [...codecsOf(videoSection)].filter(
    ([, c]) => c.name === 'h264' && c.clock === 90000 && fmtpParam(c.fmtp, 'packetization-mode') === '1',
  );
  if (h264.length === 0) {
    throw new WebRtcError(
      'NO_H264',
      'The offer has no H.264 in packetization mode 1, the only video this stream can send over WebRTC.',
      'Use a browser with H.264 (Chromium, Chrome, Safari, Edge); Firefox without its OpenH264 plug-in has none. Or watch the Matroska stream (live.mkv).',
    );
  }
  const profileOf = (fmtp: string): string | null =>
    fmtpParam(fmtp, 'profile-level-id')?.toLowerCase() ?? null;
  const wanted = streamProfile?.slice(0, 2) ?? null;
  const chosen = h264.find(([, c]) => wanted !== null && profileOf(c.fmtp)?.startsWith(wanted)) ?? h264[0];
  const out: string[] = [...session];
  let audio: CheckedOffer['audio'] = null;
  for (const section of sections) {
    if (section === videoSection) {
      out.push(...keepOnly(section, chosen[0]));
      continue;
    }
    const opus =
      kindOf(section) === 'audio'
        ? [...codecsOf(section)].find(([, c]) => c.name === 'opus' && c.clock === 48000)
        : undefined;
    const mid = midOf(section);
    if (opus && mid !== null && audio === null && wantsToReceive(section)) {
      audio = { mid, payloadType: opus[0] };
      out.push(...keepOnly(section, opus[0]));
      continue;
    }
    out.push(...section.lines);
  }
  return {
    sdp: out.join('\r\n') + '\r\n',
    video: { mid: videoMid, payloadType: chosen[0], profileLevelId: profileOf(chosen[1].fmtp) },
    audio,
  };
}
