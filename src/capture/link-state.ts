/**
 * The capture interface's link state for `live`: read from Linux sysfs (/sys/class/net/IFACE)
 * about once a second by the live driver, turned into a list of outages (when the link went
 * down, when it came back). libpcap keeps a Linux capture open across `ip link set down` / `up`
 * and reports nothing (packets simply stop, then resume), so this is what makes an outage
 * visible in the summary, on stderr and in the exit status. A flap shorter than the reading
 * interval still shows: the kernel's carrier_down_count moves.
 *
 * Per second, never per packet. It never throws (an unreadable state is 'unknown'), and it is off
 * where sysfs does not describe the interface (not Linux): there it reports nothing.
 */
import * as fs from 'fs';
import * as path from 'path';

/** What one reading found: the link passes traffic, does not, no longer exists, or cannot be read. */
export type LinkState = 'up' | 'down' | 'gone' | 'unknown';

/** One reading of the interface. */
export interface LinkReading {
  state: LinkState;
  /** The kernel's count of carrier losses (carrier_down_count, Linux 4.16+); null when absent. */
  carrierDowns: number | null;
}

/** A time the link did not pass traffic; times are epoch seconds (wall clock, as packet times are). */
export interface LinkOutage {
  /** The first reading that found the link down (for a flap between readings: the reading before it). */
  start: number;
  /** The first reading that found it up again; null while (or when the run ended) still down. */
  end: number | null;
  /** end - start; null when the link was still down at the end, or for a flap between two readings (shorter than the interval, length unknown). */
  seconds: number | null;
}

/** What changed since the last reading. */
export type LinkEvent =
  | { kind: 'down'; at: number; gone: boolean }
  | { kind: 'up'; at: number; seconds: number }
  | { kind: 'flap'; at: number; count: number };

/** IFF_UP in /sys/class/net/IFACE/flags (linux/if.h). */
const IFF_UP = 0x1;
/**
 * Outages kept in the summary. A link flapping every few seconds for a week would otherwise grow
 * the list without bound; the count and total time stay exact past it.
 */
export const MAX_OUTAGES_LISTED = 100;

/**
 * Reads the interface's state from sysfs: 'down' when it is administratively down or its
 * operational state is not up (RFC 2863: lowerlayerdown is a lost carrier, dormant an 802.1X or
 * Wi-Fi association not yet done); 'unknown' (as a virtual interface without carrier reports
 * itself) counts as up. 'gone' when the interface no longer exists; 'unknown' when sysfs is absent.
 */
export function readLinkState(iface: string, root = '/sys/class/net'): LinkReading {
  const dir = path.join(root, iface);
  const read = (name: string): string | null => {
    try {
      return fs.readFileSync(path.join(dir, name), 'utf8').trim();
    } catch {
      return null;
    }
  };
  const oper = read('operstate');
  if (oper === null) return { state: fs.existsSync(root) && !fs.existsSync(dir) ? 'gone' : 'unknown', carrierDowns: null };
  const flags = parseInt(read('flags') ?? '', 16);
  const downs = Number(read('carrier_down_count') ?? NaN);
  const adminUp = Number.isNaN(flags) || (flags & IFF_UP) !== 0;
  const state: LinkState = adminUp && (oper === 'up' || oper === 'unknown') ? 'up' : 'down';
  return { state, carrierDowns: Number.isFinite(downs) ? downs : null };
}

/** Follows one interface's link state between readings; `poll()` once a second. */
export class LinkMonitor {
  /** The first MAX_OUTAGES_LISTED outages, in order. */
  readonly outages: LinkOutage[] = [];
  /** Every outage, listed or not. */
  count = 0;
  /** Seconds of the outages that have ended (flaps between readings add nothing: their length is unknown). */
  downSeconds = 0;
  /** When the current outage started (epoch s), or null while the link is up. */
  downSince: number | null = null;
  /** False where the interface's state cannot be read (no sysfs): poll() then reports nothing. */
  readonly enabled: boolean;
  private lastAt: number;
  private lastDowns: number | null;
  private open: LinkOutage | null = null;

  /**
   * Takes the first reading; an interface already down (no carrier) starts an outage at once. A
   * capture device sysfs does not list when the capture has just opened it (`any`, `nflog`,
   * `usbmon0`, `bluetooth0`: libpcap's pseudo-devices) has no link state to follow: the monitor
   * is off, as without sysfs.
   */
  constructor(
    readonly iface: string,
    private readonly now: () => number = () => Date.now() / 1000,
    private readonly read: (iface: string) => LinkReading = readLinkState,
  ) {
    const first = this.read(iface);
    this.enabled = first.state !== 'unknown' && first.state !== 'gone';
    this.lastAt = this.now();
    this.lastDowns = first.carrierDowns;
    if (first.state === 'down') this.startOutage(this.lastAt);
  }

  /** Reads the state again; returns what changed since the last reading, or null. */
  poll(): LinkEvent | null {
    if (!this.enabled) return null;
    const r = this.read(this.iface);
    const at = this.now();
    const before = this.lastAt;
    const flaps = r.carrierDowns !== null && this.lastDowns !== null ? r.carrierDowns - this.lastDowns : 0;
    this.lastAt = at;
    if (r.carrierDowns !== null) this.lastDowns = r.carrierDowns;
    if (r.state === 'unknown') return null;
    const isDown = r.state !== 'up';
    if (isDown && this.open === null) {
      this.startOutage(at);
      return { kind: 'down', at, gone: r.state === 'gone' };
    }
    if (!isDown && this.open !== null) {
      const o = this.open;
      o.end = at;
      o.seconds = round3(at - o.start);
      this.downSeconds += o.seconds;
      this.open = null;
      this.downSince = null;
      return { kind: 'up', at, seconds: o.seconds };
    }
    if (!isDown && flaps > 0) {
      // Down and up again between two readings: the kernel counted it, the readings missed it.
      // One outage between the two reading times, of unknown length, however many the count says.
      this.note({ start: before, end: at, seconds: null });
      return { kind: 'flap', at, count: flaps };
    }
    return null;
  }

  private startOutage(at: number): void {
    const o: LinkOutage = { start: at, end: null, seconds: null };
    this.open = o;
    this.downSince = at;
    this.note(o);
  }

  private note(o: LinkOutage): void {
    this.count++;
    if (this.outages.length < MAX_OUTAGES_LISTED) this.outages.push(o);
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
