/**
 * Byte readers for the decoders: big/little-endian u16/u24/u32 reads from a Uint8Array, an
 * ASCII prefix test for the content probes, and a hexdump for tests and "explain this packet"
 * output.
 *
 * Per packet, allocation-free. The readers never check bounds: every caller checks the length
 * of a header once before reading it (gopacket's habit), because an out-of-bounds read on a
 * typed array returns `undefined` and deoptimises the caller. Nothing else belongs here.
 */

/** Big-endian (network order) unsigned 16-bit value at `off`. The caller has checked `off + 2 <= end`. */
export function u16be(buf: Uint8Array, off: number): number {
  return (buf[off] << 8) | buf[off + 1];
}

/** Big-endian unsigned 24-bit value at `off` (TLS and DTLS handshake lengths). The caller has checked `off + 3 <= end`. */
export function u24be(buf: Uint8Array, off: number): number {
  return (buf[off] << 16) | (buf[off + 1] << 8) | buf[off + 2];
}

/** Big-endian unsigned 32-bit value at `off` (0 .. 2^32-1). The caller has checked `off + 4 <= end`. */
export function u32be(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

/** True when buf[off, off + len) starts with the ASCII `text` (case-sensitive); false when `len` is shorter. */
export function startsWithAscii(buf: Uint8Array, off: number, len: number, text: string): boolean {
  if (len < text.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[off + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Little-endian unsigned 16-bit value at `off`. The caller has checked `off + 2 <= end`. */
export function u16le(buf: Uint8Array, off: number): number {
  return buf[off] | (buf[off + 1] << 8);
}

/** Little-endian unsigned 32-bit value at `off`. The caller has checked `off + 4 <= end`. */
export function u32le(buf: Uint8Array, off: number): number {
  return (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
}

/**
 * Classic 16-bytes-per-line hexdump (`0000  45 00 ...  E.`) of `buf[off, off + len)`.
 * Allocates strings: for tests and diagnostics only, never on the packet path.
 */
export function hexdump(buf: Uint8Array, off = 0, len = buf.length - off): string {
  const lines: string[] = [];
  for (let i = 0; i < len; i += 16) {
    const n = Math.min(16, len - i);
    let hex = '';
    let text = '';
    for (let j = 0; j < n; j++) {
      const b = buf[off + i + j];
      hex += (j === 0 ? '' : ' ') + b.toString(16).padStart(2, '0');
      text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    lines.push(`${i.toString(16).padStart(4, '0')}  ${hex.padEnd(47)}  ${text}`);
  }
  return lines.join('\n');
}
