/**
 * QUIC variable-length integers (RFC 9000 §16): the one integer encoding every QUIC header
 * field and frame uses after the version field.
 *
 * What it is for: bounds-checked reads of 1/2/4/8-byte varints straight out of a packet buffer,
 * with no allocation (the value and the bytes consumed are returned through a reused cursor).
 * What it must never do: throw, read past `end`, or silently round a value. Varints can hold up
 * to 2^62 − 1; JavaScript numbers are exact only to 2^53, so 8-byte values above 2^53 are
 * reported as `VARINT_HUGE` and callers treat them as "over every limit we have".
 */

/** A value no length, offset or count in an Initial packet can reach; stands for "bigger than 2^53". */
export const VARINT_HUGE = Number.MAX_SAFE_INTEGER;

/** Reused result of `readVarint`: `value` and `next` (offset after the varint) are valid when it returns true. */
export interface VarintCursor {
  value: number;
  next: number;
}

/** Creates a cursor for `readVarint`. One per parser instance is enough. */
export function newVarintCursor(): VarintCursor {
  return { value: 0, next: 0 };
}

/**
 * Reads the varint starting at `pos` (RFC 9000 §16: the two high bits of the first byte give
 * the length 1, 2, 4 or 8). Returns false when the encoded length runs past `end`.
 */
export function readVarint(buf: Uint8Array, pos: number, end: number, out: VarintCursor): boolean {
  if (pos >= end) return false;
  const b0 = buf[pos];
  const n = 1 << (b0 >> 6);
  if (pos + n > end) return false;
  const first = b0 & 0x3f;
  switch (n) {
    case 1:
      out.value = first;
      break;
    case 2:
      out.value = (first << 8) | buf[pos + 1];
      break;
    case 4:
      out.value = ((first << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]) >>> 0;
      break;
    default: {
      const hi = ((first << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]) >>> 0;
      const lo = ((buf[pos + 4] << 24) | (buf[pos + 5] << 16) | (buf[pos + 6] << 8) | buf[pos + 7]) >>> 0;
      // 2^53 = 2^21 · 2^32: any high word at or above 2^21 cannot be represented exactly.
      out.value = hi >= 0x200000 ? VARINT_HUGE : hi * 0x100000000 + lo;
    }
  }
  out.next = pos + n;
  return true;
}
