/**
 * The replay progress bar on stderr: bytes read of the total, packets per second and time
 * left, redrawn in place at most ten times a second. Shown only when stderr is a terminal;
 * must never write anything to a pipe or a file (logs and CI stay clean), and never to stdout.
 */
import * as fs from 'node:fs';
import type { AuditProgress } from '../audit';
import { humanBytes } from '../report/units';

/** Least time between redraws: smooth enough, and cheap at millions of packets. */
const REDRAW_MS = 100;
/** Width of the bar itself, in cells. */
const BAR_CELLS = 24;

/** Formats seconds as m:ss or h:mm:ss. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/** One progress line (without the carriage return). `total` is null when unknown (stdin). */
export function formatProgressLine(done: number, total: number | null, packets: number, elapsedMs: number): string {
  const secs = Math.max(elapsedMs / 1000, 1e-3);
  const pps = packets / secs;
  const rate = pps >= 1e6 ? `${(pps / 1e6).toFixed(1)}M` : pps >= 1e3 ? `${(pps / 1e3).toFixed(1)}k` : pps.toFixed(0);
  if (total === null || total <= 0) return `replay ${humanBytes(done)}  ${rate} pkt/s`;
  const frac = Math.min(1, done / total);
  const filled = Math.round(frac * BAR_CELLS);
  const eta = done > 0 ? ((total - done) * secs) / done : Infinity;
  return `replay [${'#'.repeat(filled)}${'-'.repeat(BAR_CELLS - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${humanBytes(done)} / ${humanBytes(total)}  ${rate} pkt/s  ETA ${formatEta(eta)}`;
}

/** A redraw-in-place progress bar. */
export class ProgressBar {
  private last = -Infinity;
  private readonly start: number;
  private shown = false;

  constructor(private readonly total: number | null, private readonly write: (s: string) => void, private readonly now: () => number = Date.now) {
    this.start = now();
  }

  /** Takes a progress report from runAudit; redraws when due and clears the line at the end. */
  update(p: AuditProgress): void {
    const t = this.now();
    if (p.done) {
      if (this.shown) this.write('\r\x1b[2K');
      return;
    }
    if (t - this.last < REDRAW_MS) return;
    this.last = t;
    this.shown = true;
    this.write(`\r\x1b[2K${formatProgressLine(p.bytes, this.total, p.packets, t - this.start)}`);
  }
}

/**
 * A progress callback for `runAudit` when `stream` is a terminal, else undefined (nothing is
 * drawn). The total is the sum of the input files' sizes (unknown when one is stdin).
 */
export function progressFor(inputs: readonly string[], stream: { isTTY?: boolean; write(s: string): unknown }): ((p: AuditProgress) => void) | undefined {
  if (stream.isTTY !== true) return undefined;
  let total: number | null = 0;
  for (const f of inputs) {
    try {
      const st = f === '-' ? null : fs.statSync(f);
      total = st && st.isFile() && total !== null ? total + st.size : null;
    } catch {
      total = null;
    }
  }
  const bar = new ProgressBar(total, (s) => stream.write(s));
  return (p) => bar.update(p);
}
