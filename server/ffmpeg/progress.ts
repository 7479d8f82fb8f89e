/** One block of ffmpeg's `-progress` output (key=value lines ending with `progress=continue|end`). */
export interface FfmpegProgress {
  frame: number;
  fps: number;
  bitrateKbps: number;
  /** Encoding speed relative to real time. */
  speed: number;
  droppedFrames: number;
  duplicatedFrames: number;
  outTimeMs: number;
}

const num = (text: string | undefined): number => {
  const n = Number.parseFloat(text ?? '');
  return Number.isFinite(n) ? n : 0;
};

/**
 * Splits ffmpeg's stderr into progress blocks and other lines (errors, warnings). Pure and
 * incremental: feed text as it comes; a partial line waits for the next call.
 */
export class ProgressParser {
  private pending = '';
  private block = new Map<string, string>();

  push(text: string): { progress: FfmpegProgress[]; lines: string[] } {
    this.pending += text;
    const parts = this.pending.split(/\r?\n/);
    this.pending = parts.pop() ?? '';
    if (this.pending.length > 8192) this.pending = this.pending.slice(-8192); // a line without end: keep it bounded
    const progress: FfmpegProgress[] = [];
    const lines: string[] = [];
    for (const line of parts) {
      const m = /^([a-z_0-9]+)=(.*)$/.exec(line.trim());
      if (!m) {
        if (line.trim()) lines.push(line.trim());
        continue;
      }
      const [, key, value] = m;
      if (key === 'progress') {
        progress.push(this.finish());
        continue;
      }
      this.block.set(key, value.trim());
    }
    return { progress, lines };
  }

  private finish(): FfmpegProgress {
    const b = this.block;
    this.block = new Map();
    const bitrate = b.get('bitrate') ?? ''; // "4012.3kbits/s" or "N/A"
    return {
      frame: num(b.get('frame')),
      fps: num(b.get('fps')),
      bitrateKbps: num(bitrate),
      speed: num(b.get('speed')), // "1.01x"
      droppedFrames: num(b.get('drop_frames')),
      duplicatedFrames: num(b.get('dup_frames')),
      outTimeMs: num(b.get('out_time_us')) / 1000,
    };
  }
}
