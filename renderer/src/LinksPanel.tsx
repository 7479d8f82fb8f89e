import QRCode from 'qrcode';
import { useEffect, useState, type ReactElement } from 'react';
import type { SessionStats, ShareLinkInfo } from '../../server/api.js';
import { formatBitrate } from './format';
import { api } from './mkvcast';

export interface LinksPanelProps {
  links: ShareLinkInfo[];
  stats: SessionStats;
}

/** The links to send, how to open them, and a QR code of the chosen one. */
export function LinksPanel({ links, stats }: LinksPanelProps): ReactElement {
  const [selected, setSelected] = useState(0);
  const [qr, setQr] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const url = links[Math.min(selected, links.length - 1)]?.url ?? '';
  // The landing page beside the stream: any browser, phones included, plays it (over WebRTC where it
  // can). The QR code carries it, since a phone is what scans one.
  const pageUrl = url.replace(/live\.mkv$/, '');

  useEffect(() => {
    let current = true;
    if (!pageUrl) return;
    QRCode.toDataURL(pageUrl, { margin: 2, width: 200, errorCorrectionLevel: 'M' }).then(
      (data) => current && setQr(data),
      () => current && setQr(null),
    );
    return () => {
      current = false;
    };
  }, [pageUrl]);

  const copy = (text: string): void => {
    void api()
      .copyLink(text)
      .then(() => setCopied(text));
  };
  const commands = [
    { player: 'Browser', text: pageUrl },
    { player: 'VLC', text: `vlc ${url}` },
    { player: 'mpv', text: `mpv --profile=low-latency --untimed ${url}` },
  ];

  return (
    <section className="links" aria-labelledby="links-title">
      <h2 id="links-title">Links</h2>
      <ul className="link-list">
        {links.map((link, i) => (
          <li key={link.url}>
            <input
              type="radio"
              name="qr-link"
              id={`link-${i}`}
              checked={i === selected}
              onChange={() => setSelected(i)}
              aria-label={`Show the QR code for ${link.interfaceName} ${link.family}`}
            />
            <label htmlFor={`link-${i}`} className="link-url">
              <span className="link-interface">
                {link.interfaceName} ({link.family})
              </span>
              <code>{link.url}</code>
            </label>
            <button type="button" onClick={() => copy(link.url)} aria-label={`Copy link ${link.url}`}>
              {copied === link.url ? 'Copied' : 'Copy'}
            </button>
          </li>
        ))}
      </ul>
      <div className="open-with">
        {qr && <img className="qr" src={qr} width={200} height={200} alt={`QR code for ${pageUrl}`} />}
        <div className="commands">
          {commands.map(({ player, text }) => (
            <div key={player} className="command">
              <span className="command-player">{player}</span>
              <code>{text}</code>
              <button type="button" onClick={() => copy(text)} aria-label={`Copy the ${player} command`}>
                {copied === text ? 'Copied' : 'Copy'}
              </button>
            </div>
          ))}
          <p className="hint">
            Any browser opens the page link, phones included: it plays over WebRTC, about a tenth of a second
            behind, where the stream allows. The QR code is that link.
          </p>
          <dl className="stats" aria-label="Live stream">
            <div>
              <dt>Frame rate</dt>
              <dd data-testid="fps">{stats.captureFps.toFixed(1)} fps</dd>
            </div>
            <div>
              <dt>Bitrate</dt>
              <dd data-testid="bitrate">{formatBitrate(stats.bitrateKbps)}</dd>
            </div>
          </dl>
        </div>
      </div>
    </section>
  );
}
