/**
 * Helpers for the DNS parser tests: a `hex` template tag for vectors and a tiny message
 * builder for the adversarial cases (raw bytes, so it can write anything a broken or hostile
 * encoder could).
 */

/** Bytes from hex text; whitespace is ignored (so vectors can be laid out like a hexdump). */
export function hex(strings: TemplateStringsArray, ...values: unknown[]): Uint8Array {
  const text = String.raw({ raw: strings }, ...values).replace(/\s+/g, '');
  if (text.length % 2 !== 0 || /[^0-9a-f]/i.test(text)) throw new Error(`bad hex: ${text}`);
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

/** 12-byte DNS header (RFC 1035 §4.1.1). */
export function header(id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0): number[] {
  return [id >> 8, id & 0xff, flags >> 8, flags & 0xff, qd >> 8, qd & 0xff, an >> 8, an & 0xff, ns >> 8, ns & 0xff, ar >> 8, ar & 0xff];
}

/** Wire form of a name given as its labels' raw bytes (no compression). */
export function wireName(...labels: Array<string | number[]>): number[] {
  const out: number[] = [];
  for (const l of labels) {
    const bytes = typeof l === 'string' ? [...Buffer.from(l, 'latin1')] : l;
    out.push(bytes.length, ...bytes);
  }
  out.push(0);
  return out;
}

/** QTYPE/QCLASS (or TYPE/CLASS) pair. */
export function typeClass(type: number, cls = 1): number[] {
  return [type >> 8, type & 0xff, cls >> 8, cls & 0xff];
}

export function bytes(...parts: number[][]): Uint8Array {
  return Uint8Array.from(parts.flat());
}
