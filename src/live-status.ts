/**
 * The terminal side of `live`: a status block on stderr redrawn about once a second (packets,
 * drops, flows, verdict counts, the latest undeclared destinations) and a one-line notice per new
 * undeclared destination, printed above the block at once. Rendering only: counts in, text out
 * through the writer it is given. It never prints a capture-derived string without making it
 * terminal-safe, and never draws the block when the writer is not a terminal.
 */
import type { DnsRecord, FlowRecord } from './report/records';
import { formatBytes, terminalSafe } from './report/table';

/** Where the display writes (stderr in the CLI); `isTty` decides whether the block is drawn. */
export interface LiveStatusIo {
  write(text: string): void;
  isTty: boolean;
  /** The terminal's width (default: stderr's, else 80): block lines are cut to it, so none wraps. */
  columns?: () => number | undefined;
}

/** Counters the block shows; the live driver fills them once per refresh. */
export interface LiveStatusCounts {
  iface: string;
  backend: string;
  elapsedMs: number;
  packets: number;
  bytes: number;
  received: number;
  dropped: number;
  openFlows: number;
  flowsWritten: number;
  declared: number;
  undeclared: number;
  evictedFlows: number;
  /** When the capture link went down (epoch s), while it is down; null or absent while it is up. */
  linkDownSince?: number | null;
  /** Outages of the capture link so far. */
  linkOutages?: number;
}

/** Destinations remembered for "announced once" (bounded; past it nothing new is announced and the block says so). */
const MAX_ANNOUNCED = 65536;
/** Latest undeclared destinations shown in the block. */
const LATEST_SHOWN = 5;

/** One undeclared destination as the notice and the block name it. */
export function destinationOf(rec: FlowRecord | DnsRecord): { key: string; text: string } {
  if (rec.type === 'dns') {
    const name = terminalSafe(rec.qname || '(empty)');
    return { key: `dns|${rec.qname}`, text: `dns query ${name} ${rec.qtype} → ${terminalSafe(rec.server_ip)}` };
  }
  const dest = rec.name ?? rec.remote_ip;
  const how = rec.name_source ? `name from ${rec.name_source}` : `unnamed${rec.unnamed_reason ? `: ${rec.unnamed_reason}` : ''}`;
  return {
    key: `${rec.direction}|${dest}|${rec.remote_port}|${rec.proto}`,
    text: `${rec.direction} ${rec.proto} ${terminalSafe(dest)}:${rec.remote_port} (${terminalSafe(rec.remote_ip)}, ${how})`,
  };
}

/** Draws the status block and the notices. */
export class LiveStatusDisplay {
  private readonly announced = new Set<string>();
  private readonly latest: string[] = [];
  private blockLines = 0;
  private full = false;

  constructor(private readonly io: LiveStatusIo) {}

  /** Announces an undeclared record's destination the first time it is seen; true when it was new. */
  announce(rec: FlowRecord | DnsRecord): boolean {
    const d = destinationOf(rec);
    if (this.announced.has(d.key)) return false;
    if (this.announced.size >= MAX_ANNOUNCED) { this.full = true; return false; }
    this.announced.add(d.key);
    this.latest.push(d.text);
    if (this.latest.length > LATEST_SHOWN) this.latest.shift();
    if (!this.io.isTty) return true;
    const reasons = (rec.reasons ?? []).join(', ');
    this.above(`UNDECLARED ${d.text}${reasons ? ` — ${reasons}` : ''}\n`);
    return true;
  }

  /** Prints a line (a warning) above the block; plain when not on a terminal. */
  notice(text: string): void {
    if (this.io.isTty) this.above(text.endsWith('\n') ? text : text + '\n');
    else this.io.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** Redraws the block with fresh counts (terminal only). */
  refresh(c: LiveStatusCounts): void {
    if (!this.io.isTty) return;
    this.io.write(this.clearText() + this.render(c));
  }

  /** Removes the block (before the final report). */
  clear(): void {
    if (!this.io.isTty || this.blockLines === 0) return;
    this.io.write(this.clearText());
    this.blockLines = 0;
  }

  /** Clears the block and prints `text`; the next refresh() redraws the block below it. */
  private above(text: string): void {
    this.io.write(this.clearText() + text);
    this.blockLines = 0;
  }

  private clearText(): string {
    if (this.blockLines === 0) return '';
    return '\r\x1b[2K' + '\x1b[1A\x1b[2K'.repeat(this.blockLines - 1);
  }

  private render(c: LiveStatusCounts): string {
    const s = Math.floor(c.elapsedMs / 1000);
    const hms = `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    const drops = c.dropped > 0 ? `DROPPED ${c.dropped} (audit incomplete)` : 'drops 0';
    const since = c.linkDownSince ?? null;
    const outages = c.linkOutages ?? 0;
    // Its own line, so a narrow terminal never cuts it off the end of the first.
    const link = since !== null
      ? `LINK DOWN since ${new Date(since * 1000).toISOString().slice(11, 19)} UTC: nothing is being captured (audit incomplete)`
      : outages > 0 ? `link was down ${outages} time${outages === 1 ? '' : 's'} (audit incomplete; see the notices above)` : null;
    const lines = [
      `live ${terminalSafe(c.iface)} (${c.backend}) ${hms}  packets ${c.packets}  ${formatBytes(c.bytes)}  ${drops}`,
      `flows ${c.openFlows} open, ${c.flowsWritten} ended  declared ${c.declared}  undeclared ${c.undeclared}  evicted ${c.evictedFlows}`,
      `latest undeclared: ${this.latest.length > 0 ? this.latest.slice().reverse().join('; ') : 'none'}${this.full ? ' (too many to track; see the report)' : ''}`,
    ];
    if (link !== null) lines.splice(1, 0, link);
    // A wrapped line would take two rows, and the next redraw moves up one row per line: cut
    // each line to the width instead, so the block is always exactly `lines.length` rows.
    const width = Math.max(20, (this.io.columns ?? (() => process.stderr.columns))() ?? 80) - 1;
    this.blockLines = lines.length;
    return lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l)).join('\n');
  }
}
