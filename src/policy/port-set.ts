/**
 * Port lists of the rule files (`[53, 123, "8000-8100"]`) parsed and compiled into sorted,
 * merged ranges. Per-flow lookups are a short linear scan (rule files list a handful of
 * ports). Must never accept a port outside 1-65535 or a reversed range.
 */

/** Inclusive port range. */
export interface PortRange { readonly from: number; readonly to: number }

/** Lowest and highest TCP/UDP port a rule may name (port 0 is reserved, RFC 6335 §6). */
export const MIN_PORT = 1;
export const MAX_PORT = 65535;

/**
 * Parses one entry of a `ports:` list: a number or an `"a-b"` range string. Returns the range
 * or an error string for the loader to place at file:line:column. Never throws.
 */
export function parsePortEntry(entry: number | string): PortRange | string {
  if (typeof entry === 'number') {
    if (!Number.isInteger(entry) || entry < MIN_PORT || entry > MAX_PORT) return `port ${entry} is out of range ${MIN_PORT}-${MAX_PORT}`;
    return { from: entry, to: entry };
  }
  const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(entry);
  if (!m) return `'${entry}' is not a port or a range like "8000-8100"`;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  for (const p of [from, to]) if (p < MIN_PORT || p > MAX_PORT) return `port ${p} is out of range ${MIN_PORT}-${MAX_PORT}`;
  if (to < from) return `port range '${entry}' is reversed`;
  return { from, to };
}

/** An immutable set of ports: sorted, non-overlapping ranges. */
export class PortSet {
  readonly ranges: readonly PortRange[];

  constructor(ranges: readonly PortRange[]) {
    const sorted = [...ranges].sort((a, b) => a.from - b.from);
    const merged: PortRange[] = [];
    for (const r of sorted) {
      const last = merged[merged.length - 1];
      if (last !== undefined && r.from <= last.to + 1) merged[merged.length - 1] = { from: last.from, to: Math.max(last.to, r.to) };
      else merged.push({ from: r.from, to: r.to });
    }
    this.ranges = Object.freeze(merged.map((r) => Object.freeze(r)));
    Object.freeze(this);
  }

  /** True when `port` is in the set. */
  has(port: number): boolean {
    for (const r of this.ranges) if (port >= r.from && port <= r.to) return true;
    return false;
  }

  /** Number of ports covered. */
  get size(): number {
    let n = 0;
    for (const r of this.ranges) n += r.to - r.from + 1;
    return n;
  }

  /** True when every port of `other` is in this set. */
  covers(other: PortSet): boolean {
    return other.ranges.every((o) => this.ranges.some((r) => r.from <= o.from && r.to >= o.to));
  }

  /** True when the two sets share a port. */
  intersects(other: PortSet): boolean {
    return this.ranges.some((r) => other.ranges.some((o) => r.from <= o.to && o.from <= r.to));
  }

  /** `53, 123, 8000-8100` */
  toString(): string {
    return this.ranges.map((r) => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`)).join(', ');
  }
}
