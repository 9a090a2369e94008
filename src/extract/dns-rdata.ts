/**
 * RDATA → text for the answer records of DNS responses (RFC 1035 §3.3-3.4, RFC 3596,
 * RFC 9460, RFC 3597). Runs only for responses whose answers were asked for (the rich path);
 * the parser in dns.ts hands it bounds that are already checked against the message.
 * Must never throw on packet bytes and never read outside `buf[start, end)`.
 */
import { u32be } from '../decode/bytes';
import type { Answer } from 'dns-packet';
import { DnsNameReader } from './dns-name';
import { decimalEscape } from './utf8';
import { formatIpv4 as formatIpv4Word, formatIpv6 as formatIpv6Words } from '../net/addr';

/** IPv4 address text (RFC 1123 §2.1 dotted decimal) of 4 bytes at `off`. */
export function formatIpv4(buf: Uint8Array, off: number): string {
  return formatIpv4Word(u32be(buf, off));
}

/**
 * IPv6 address text per RFC 5952 of 16 bytes at `off` (the one formatter in src/net/addr.ts:
 * lowercase, longest zero run compressed, dotted tail only for IPv4-mapped addresses).
 */
export function formatIpv6(buf: Uint8Array, off: number): string {
  return formatIpv6Words(u32be(buf, off), u32be(buf, off + 4), u32be(buf, off + 8), u32be(buf, off + 12));
}


/** RFC 3597 §5 generic RDATA text: `\# <length> <hex>` (used when a type is not decoded). */
export function formatGenericRdata(buf: Uint8Array, start: number, end: number): string {
  if (end <= start) return '\\# 0';
  return `\\# ${end - start} ${Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('hex')}`;
}

/** SvcParamKey names (RFC 9460 §14.3.2 registry). */
const SVC_PARAM_NAMES = ['mandatory', 'alpn', 'no-default-alpn', 'port', 'ipv4hint', 'ech', 'ipv6hint'];

/** SvcParamKey 5: the TLS Encrypted ClientHello configuration (RFC 9460 §14.3.2, RFC 9849). */
export const SVC_PARAM_ECH = 5;

/** Result of formatting an SVCB/HTTPS RDATA. */
export interface SvcbText { data: string; ech: boolean }

/**
 * SVCB/HTTPS RDATA (RFC 9460 §2.2): "priority target key=value ...". dns-packet 5.6.1 has no
 * codec for these types (it returns the raw bytes), so the SvcParams are walked here.
 * Returns null when the RDATA is malformed (the caller counts dns.malformed_answer).
 */
export function formatSvcb(buf: Uint8Array, base: number, start: number, end: number, names: DnsNameReader): SvcbText | null {
  if (end - start < 3) return null;
  const priority = (buf[start] << 8) | buf[start + 1];
  // RFC 9460 §2.2: TargetName is uncompressed; the reader would follow a pointer anyway,
  // so only its in-place bytes are checked against the RDATA end.
  if (!names.read(buf, base, end, start + 2)) return null;
  let text = `${priority} ${names.name}`;
  let ech = false;
  let p = names.end;
  while (p < end) {
    if (end - p < 4) return null;
    const key = (buf[p] << 8) | buf[p + 1];
    const len = (buf[p + 2] << 8) | buf[p + 3];
    const v = p + 4;
    if (v + len > end) return null;
    if (key === SVC_PARAM_ECH) ech = true;
    text += ` ${key < SVC_PARAM_NAMES.length ? SVC_PARAM_NAMES[key] : `key${key}`}`;
    const value = formatSvcParamValue(buf, key, v, v + len);
    if (value !== '') text += `=${value}`;
    p = v + len;
  }
  return { data: text, ech };
}

/** Presentation of one SvcParamValue (RFC 9460 §7); unknown keys as hex. */
function formatSvcParamValue(buf: Uint8Array, key: number, start: number, end: number): string {
  const parts: string[] = [];
  switch (key) {
    case 0: // mandatory: list of keys
      for (let i = start; i + 1 < end; i += 2) {
        const k = (buf[i] << 8) | buf[i + 1];
        parts.push(k < SVC_PARAM_NAMES.length ? SVC_PARAM_NAMES[k] : `key${k}`);
      }
      return parts.join(',');
    case 1: // alpn: length-prefixed protocol ids
      for (let i = start; i < end; ) {
        const n = buf[i];
        parts.push(Buffer.from(buf.buffer, buf.byteOffset + i + 1, Math.min(n, end - i - 1)).toString('latin1'));
        i += 1 + n;
      }
      return parts.join(',');
    case 3: // port
      return end - start === 2 ? String((buf[start] << 8) | buf[start + 1]) : hex(buf, start, end);
    case 4: // ipv4hint
      for (let i = start; i + 4 <= end; i += 4) parts.push(formatIpv4(buf, i));
      return parts.join(',');
    case 5: // ech: ECHConfigList, base64 in presentation format
      return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('base64');
    case 6: // ipv6hint
      for (let i = start; i + 16 <= end; i += 16) parts.push(formatIpv6(buf, i));
      return parts.join(',');
    default:
      return hex(buf, start, end);
  }
}

function hex(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('hex');
}

/** A TXT/CAA character-string in presentation form: quoted, with \DDD for non-printables. */
function quote(bytes: Uint8Array | string): string {
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  let out = '"';
  for (const c of b) {
    if (c === 0x22 || c === 0x5c) out += '\\' + String.fromCharCode(c);
    else if (c < 0x20 || c > 0x7e) out += decimalEscape(c);
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

/**
 * Summary of a "rich" record from dns-packet's decoding of it (MX, SRV, SOA, TXT, CAA,
 * NAPTR, DS, ...). Names inside the RDATA come from our own reader (`names` re-reads them at
 * their offsets) because dns-packet decodes label bytes as UTF-8 and neither lowercases nor
 * escapes them, which would mangle odd names. Returns null for types it does not summarise.
 */
export function formatRichAnswer(
  type: number, decoded: Answer, buf: Uint8Array, base: number, start: number, end: number, names: DnsNameReader,
): string | null {
  const nameAt = (pos: number): string | null => (pos < end && names.read(buf, base, end, pos) ? names.name : null);
  switch (type) {
    case 15: { // MX: preference, exchange (RFC 1035 §3.3.9)
      if (decoded.type !== 'MX') return null;
      const exchange = nameAt(start + 2);
      return exchange === null ? null : `${decoded.data.preference} ${exchange}`;
    }
    case 33: { // SRV: priority weight port target (RFC 2782)
      if (decoded.type !== 'SRV') return null;
      const target = nameAt(start + 6);
      return target === null ? null : `${decoded.data.priority ?? 0} ${decoded.data.weight ?? 0} ${decoded.data.port} ${target}`;
    }
    case 6: { // SOA (RFC 1035 §3.3.13)
      if (decoded.type !== 'SOA') return null;
      const mname = nameAt(start);
      if (mname === null) return null;
      const rname = nameAt(names.end);
      if (rname === null) return null;
      const d = decoded.data;
      return `${mname} ${rname} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    }
    case 16: { // TXT (RFC 1035 §3.3.14): one or more character-strings
      if (decoded.type !== 'TXT') return null;
      const d = decoded.data;
      const list = Array.isArray(d) ? d : [d];
      return list.map((s) => quote(s)).join(' ');
    }
    case 257: { // CAA (RFC 8659 §4.1)
      if (decoded.type !== 'CAA') return null;
      return `${decoded.data.flags ?? 0} ${decoded.data.tag} ${quote(decoded.data.value)}`;
    }
    case 35: { // NAPTR (RFC 3403 §4.1)
      if (decoded.type !== 'NAPTR') return null;
      const d = decoded.data;
      return `${d.order} ${d.preference} ${quote(d.flags)} ${quote(d.services)} ${quote(d.regexp)} ${d.replacement.toLowerCase() || '.'}`;
    }
    case 43: { // DS (RFC 4034 §5.3)
      if (decoded.type !== 'DS') return null;
      const d = decoded.data;
      return `${d.keyTag} ${d.algorithm} ${d.digestType} ${d.digest.toString('hex')}`;
    }
    default:
      return null;
  }
}
