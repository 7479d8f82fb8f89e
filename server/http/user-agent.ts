/** A short, human name for the program behind a User-Agent header, for the viewers list. */
export function clientName(userAgent: string | undefined): string {
  const ua = (userAgent ?? '').trim();
  if (!ua) return 'unknown';
  const rules: [RegExp, string][] = [
    [/\bVLC\b|LibVLC/i, 'VLC'],
    [/\bmpv\b|libmpv/i, 'mpv'],
    [/\bLavf\//, 'ffmpeg'],
    [/\bEdg\//, 'Edge'],
    [/\bOPR\//, 'Opera'],
    [/\bFirefox\//, 'Firefox'],
    [/\bChromium\//, 'Chromium'],
    [/HeadlessChrome\//, 'Chrome (headless)'],
    [/\bChrome\//, 'Chrome'],
    [/\bVersion\/[\d.]+ .*Safari\//, 'Safari'],
    [/\bcurl\//, 'curl'],
    [/\bWget\//, 'Wget'],
    [/GStreamer/i, 'GStreamer'],
    [/Kodi/i, 'Kodi'],
  ];
  for (const [pattern, name] of rules) if (pattern.test(ua)) return name;
  // Otherwise the first product token, printable characters only, kept short.
  const product = ua.split(/[\s/]/)[0].replace(/[^\x21-\x7e]/g, '');
  return product.slice(0, 32) || 'unknown';
}
