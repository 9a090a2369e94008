/**
 * Well-formed UTF-8 (RFC 3629 §4, the Unicode standard's Table 3-7) in packet bytes: where a
 * name's bytes are text (DNS-SD instance names, RFC 6763 §4.1.1; mDNS names, RFC 6762 §16) they
 * are shown as the characters they encode, and only there.
 *
 * Must never throw, never read outside [i, end), and never accept an overlong form, a
 * surrogate or a code point past U+10FFFF: those are bytes, not text, and stay escaped.
 */

/**
 * Length (2–4) of the well-formed multi-byte UTF-8 sequence starting at buf[i] and ending
 * before `end`, or 0 when there is none (ASCII included: the caller handles single bytes).
 */
export function utf8SequenceLength(buf: Uint8Array, i: number, end: number): number {
  const c = buf[i];
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c === 0xe0) lo = 0xa0; // overlong below U+0800
    else if (c === 0xed) hi = 0x9f; // UTF-16 surrogates U+D800–DFFF
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c === 0xf0) lo = 0x90; // overlong below U+10000
    else if (c === 0xf4) hi = 0x8f; // past U+10FFFF
  } else return 0;
  if (i + n > end) return 0;
  const c1 = buf[i + 1];
  if (c1 < lo || c1 > hi) return 0;
  for (let k = 2; k < n; k++) if ((buf[i + k] & 0xc0) !== 0x80) return 0;
  return n;
}

/** The code point of the well-formed sequence of `n` bytes at buf[i] (see utf8SequenceLength). */
export function utf8CodePoint(buf: Uint8Array, i: number, n: number): number {
  if (n === 2) return ((buf[i] & 0x1f) << 6) | (buf[i + 1] & 0x3f);
  if (n === 3) return ((buf[i] & 0x0f) << 12) | ((buf[i + 1] & 0x3f) << 6) | (buf[i + 2] & 0x3f);
  return ((buf[i] & 0x07) << 18) | ((buf[i + 1] & 0x3f) << 12) | ((buf[i + 2] & 0x3f) << 6) | (buf[i + 3] & 0x3f);
}

/**
 * Characters shown as escapes even when well-formed: C1 controls, and invisible format
 * characters and separators (\p{Cf}: bidi controls, zero-width characters, the BOM; \p{Zl},
 * \p{Zp}), which would hide or reorder a name wherever it is shown; and every space but U+0020.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Zs}]/u;

/** True when the code point is shown as itself in a name (a visible character, not a control, format character or odd space). */
export function visibleCodePoint(cp: number): boolean {
  return !HIDDEN.test(String.fromCodePoint(cp));
}

/**
 * Name bytes (a DNS label, an SNI, a Host) as text, faithfully: printable ASCII and the space as
 * themselves, well-formed UTF-8 of a visible character as that character, and every other byte
 * (controls, DEL, stray or overlong UTF-8, hidden characters) and the backslash as \DDD (RFC
 * 4343 §2.1), so nothing is lost. `fold` lowercases letters (DNS compares ASCII letters
 * case-insensitively, RFC 4343 §3; names are reported lowercase, other scripts' letters too, as a
 * reader compares them); `escapeDot` writes '.' as \046 (a dot inside a DNS label).
 * This is how tshark shows these names too, but for its lossy U+FFFD and C-style escapes.
 */
export function nameText(buf: Uint8Array, s: number, e: number, fold: boolean, escapeDot: boolean): string {
  let out = '';
  let i = s;
  while (i < e) {
    const b = buf[i];
    if (b >= 0x20 && b <= 0x7e && b !== 0x5c && !(escapeDot && b === 0x2e)) {
      out += String.fromCharCode(fold && b >= 0x41 && b <= 0x5a ? b | 0x20 : b);
      i++;
      continue;
    }
    if (b >= 0x80) {
      const n = utf8SequenceLength(buf, i, e);
      if (n > 0) {
        const cp = utf8CodePoint(buf, i, n);
        if (visibleCodePoint(cp)) {
          out += fold ? String.fromCodePoint(cp).toLowerCase() : String.fromCodePoint(cp);
          i += n;
          continue;
        }
      }
    }
    out += decimalEscape(b);
    i++;
  }
  return out;
}

/** One byte as \DDD: a backslash and three decimal digits (RFC 1035 §5.1, RFC 4343 §2.1). */
export function decimalEscape(b: number): string {
  return '\\' + (b < 10 ? '00' : b < 100 ? '0' : '') + b;
}
