/**
 * NdjsonEncoder: writes flow and DNS records as NDJSON lines straight into the output buffer as
 * bytes, with no intermediate string. It exists for speed only: on the benchmark capture
 * JSON.stringify plus UTF-8 encoding ran at ~250 MB/s of output and was the largest single
 * cost of a replay after reading the file (on the flow-heavy profile, which writes more bytes
 * than it reads, the largest of all).
 *
 * Contract: every line is byte for byte what `renderNdjsonLine` (JSON.stringify) writes for the
 * same record — same keys in the same order, same number text, same escapes. Keys follow the
 * order in which the pipeline, the policy stage and live capture add them; `FLOW_KEYS` and
 * `DNS_KEYS` make the compiler list every field of the record types, and the test suite checks
 * byte equality on every record of the fixtures and the corpus. A string that needs escaping
 * (control characters, quotes, backslashes, anything outside printable ASCII) is rendered by
 * JSON.stringify itself, so escaping has one implementation.
 *
 * Must never write a partial line, and never write past the buffer: a record that does not fit
 * in what is left is rendered through the string path instead.
 */
import type { DnsRecord, FlowRecord } from './records';
import { renderNdjsonLine } from './ndjson';
import type { OutputFile } from './output';

/** Every FlowRecord field, in output order; the compiler rejects a field missing here. */
const FLOW_KEYS: { [K in keyof Required<FlowRecord>]: number } = {
  type: 0, id: 1, proto: 2, direction: 3, device_ip: 4, device_port: 5, remote_ip: 6, remote_port: 7,
  first_ts: 8, last_ts: 9, packets_out: 10, packets_in: 11, bytes_out: 12, bytes_in: 13, app: 14, sni: 15,
  alpn: 16, http_host: 17, dns_names: 18, name: 19, name_source: 20, names: 21, anomalies: 22,
  unnamed_reason: 23, tunnel_depth: 24, syn_seen: 25, initiator_by: 26, tls_versions: 27, key_share_groups: 28,
  ech: 29, ech_config: 30, esni: 31, ja3: 32, ja4: 33, encrypted_dns: 34, quic_version: 35, server_cert_names: 36,
  process: 37, h2c: 38, tls_client: 39, reply_to: 40, reply_group: 41, foreign: 42, quic_path_of: 43, verdict: 44, rule: 45,
  pack: 46, reasons: 47, explanation: 48, open: 49,
};

/** Every DnsRecord field, in output order. */
const DNS_KEYS: { [K in keyof Required<DnsRecord>]: number } = {
  type: 0, ts: 1, proto: 2, app: 3, client_ip: 4, client_port: 5, server_ip: 6, server_port: 7, id: 8,
  qname: 9, qtype: 10, rcode: 11, answers: 12, response_only: 13, flow_id: 14, process: 15, direction: 16, foreign: 17,
  cname_of: 18, ech_config: 19, verdict: 20, rule: 21, pack: 22, reasons: 23, explanation: 24,
};

/**
 * A constant run of output bytes (a key, `,"key":null`, `true`), kept as little-endian 32-bit
 * words padded with zeros to a whole word, and written a word at a time through a DataView.
 * Measured on this project's keys: ~0.7 ns a byte this way, against ~2.4 ns for a byte loop
 * into a Buffer (a Buffer is a Uint8Array subclass, and element stores into it cost more than
 * into a plain Uint8Array) and ~17 ns a call for TypedArray#set. The padding lands past the
 * run's end and is overwritten by whatever is written next (see `raw`).
 */
class Run {
  readonly words: Uint32Array;
  /** Bytes in the run (the words hold up to three bytes of padding more). */
  readonly length: number;
  constructor(readonly text: string) {
    const bytes = Buffer.from(text, 'latin1');
    const padded = new Uint8Array((bytes.length + 3) & ~3);
    padded.set(bytes);
    this.words = new Uint32Array(padded.length >>> 2);
    const dv = new DataView(padded.buffer);
    for (let i = 0; i < this.words.length; i++) this.words[i] = dv.getUint32(4 * i, true);
    this.length = bytes.length;
  }
}

/** Field names as the runs that introduce them: `,"name":` (the first one opens the object). */
function keyTable<T extends Record<string, number>>(keys: T, typeName: string): { [K in keyof T]: Run } {
  const entries = Object.keys(keys).sort((a, b) => keys[a] - keys[b])
    .map((k) => [k, new Run(k === 'type' ? `{"type":"${typeName}"` : `,${JSON.stringify(k)}:`)]);
  // Built in one go, not by assigning 41 computed keys to `{}`: V8 turns an object that gains
  // more than a dozen properties through keyed stores into a dictionary, and then every `k.id`
  // in the encoder was a generic dictionary lookup (measured: 12% of encoding time).
  return Object.fromEntries(entries) as { [K in keyof T]: Run };
}

const FK = keyTable(FLOW_KEYS, 'flow');
const DK = keyTable(DNS_KEYS, 'dns');

/** Each key followed by `null`, the most common value of the optional fields, copied in one run. */
function nullTable<T extends Record<string, Run>>(keys: T): T {
  return Object.fromEntries(Object.entries(keys).map(([k, r]) => [k, new Run(r.text + 'null')])) as unknown as T;
}

/** The keys of the policy stage's fields, which flow and DNS records share. */
type VerdictKeys = { verdict: Run; rule: Run; pack: Run; reasons: Run; explanation: Run };

const FKN = nullTable(FK);
const DKN = nullTable(DK);
const K_NAME_OPEN = new Run('{"name":');
const K_SOURCE = new Run(',"source":');
const K_TYPE = new Run(',"type":');
const K_DATA = new Run(',"data":');
const K_TTL = new Run(',"ttl":');
const NULL_BYTES = new Run('null');
const NO_KEY = new Run('');
const TRUE_BYTES = new Run('true');
const FALSE_BYTES = new Run('false');

/** Free bytes wanted before a record starts; a record larger than this takes the string path. */
const RECORD_ROOM = 256 * 1024;
/** Bytes of the longest number text (e.g. "-1.2345678901234567e-308"). */
const NUMBER_ROOM = 32;

/**
 * Thrown inside the encoder when the record does not fit, or holds a value of a kind its type
 * does not allow; the record then takes the string path, which renders anything.
 */
const NO_ROOM = new Error('record does not fit in the output buffer');
const ODD_VALUE = new Error('record holds a value of an unexpected kind');

const LINE_BREAKS = /[\u0085\u2028\u2029]/g;
const TWO_POW_32 = 4294967296;

export class NdjsonEncoder {
  /** The output buffer's memory, as a plain Uint8Array (see Run) and as a DataView. */
  private buf: Uint8Array;
  private dv: DataView;
  private bufOf: Buffer | null = null;
  private u = 0;
  private end = 0;
  /** The last seconds value `micros` wrote, and its digits. */
  private lastSec = -1;
  private secLen = 0;
  private readonly secDigits = new Uint8Array(16);
  /** The number being written (see numX). */
  private x: unknown = 0;

  constructor(private readonly out: OutputFile) {
    this.buf = new Uint8Array(0);
    this.dv = new DataView(this.buf.buffer);
    this.view(out.rawBuffer);
  }

  /** Points buf and dv at `b` (views are made again only when the output buffer changes). */
  private view(b: Buffer): void {
    if (b === this.bufOf) return;
    this.bufOf = b;
    this.buf = new Uint8Array(b.buffer, b.byteOffset, b.length);
    this.dv = new DataView(b.buffer, b.byteOffset, b.length);
  }

  /** Writes one flow record line. */
  flow(rec: FlowRecord): void {
    if (!this.begin()) return;
    try {
      this.encodeFlow(rec);
      this.finishLine();
    } catch (e) {
      this.fallback(e, rec);
    }
  }

  /** Writes one DNS record line. */
  dns(rec: DnsRecord): void {
    if (!this.begin()) return;
    try {
      this.encodeDns(rec);
      this.finishLine();
    } catch (e) {
      this.fallback(e, rec);
    }
  }

  /** Claims the output buffer's free space; false when output is closed (nothing to write). */
  private begin(): boolean {
    const out = this.out;
    if (!out.writable) return false;
    if (out.rawBuffer.length - out.rawUsed < RECORD_ROOM) out.flush();
    this.view(out.rawBuffer);
    this.u = out.rawUsed;
    this.end = this.buf.length;
    return true;
  }

  private finishLine(): void {
    this.room(1);
    this.buf[this.u++] = 0x0a;
    this.out.rawUsed = this.u;
  }

  /**
   * The record did not fit, or a value was of an unexpected kind: nothing of it was committed
   * (rawUsed moves only in finishLine), and the string path renders it.
   */
  private fallback(e: unknown, rec: FlowRecord | DnsRecord): void {
    if (e !== NO_ROOM && e !== ODD_VALUE) throw e;
    this.out.write(renderNdjsonLine(rec));
  }

  private room(n: number): void {
    if (this.u + n > this.end) throw NO_ROOM;
  }

  /**
   * Writes a constant run. Its last word may write up to three bytes of padding past the run's
   * end; they lie at or after the new `u`, so the next write replaces them, and bytes past the
   * line's end are never flushed (rawUsed moves only in finishLine). `room` counts them.
   */
  private raw(r: Run): void {
    const w = r.words;
    const n = w.length;
    this.room(4 * n);
    const dv = this.dv;
    let u = this.u;
    for (let i = 0; i < n; i++) { dv.setUint32(u, w[i], true); u += 4; }
    this.u += r.length;
  }

  /** A string value alone (list elements): `kstr` with no key. */
  private str(s: string): void {
    this.kstr(NO_KEY, s);
  }

  /**
   * A key and then a string value: one call instead of two on the per-record path (calls V8
   * does not inline cost more than the bytes they copy; measured: ~10% of encoding time).
   */
  private kstr(k: Run, s: string): void {
    if (typeof s !== 'string') throw ODD_VALUE;
    const kw = k.words;
    const n = s.length;
    this.room(4 * kw.length + n + 2);
    const buf = this.buf;
    const dv = this.dv;
    let u = this.u;
    for (let i = 0; i < kw.length; i++) { dv.setUint32(u, kw[i], true); u += 4; }
    u = this.u + k.length;
    const start = u;
    buf[u++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c - 0x20 >>> 0 >= 0x5f || c === 0x22 || c === 0x5c) {
        this.u = start;
        this.escaped(s);
        return;
      }
      buf[u++] = c;
    }
    buf[u++] = 0x22;
    this.u = u;
  }

  /** A key and then a string value or null (`kn`: the key followed by `null`). */
  private kstrOrNull(k: Run, kn: Run, s: string | null): void {
    if (s === null) this.raw(kn);
    else this.kstr(k, s);
  }

  /** A key and then a list of strings or null (`kn`: the key followed by `null`). */
  private kstrList(k: Run, kn: Run, a: readonly string[] | null): void {
    if (a === null) { this.raw(kn); return; }
    this.raw(k);
    this.strList(a);
  }

  /** A key and then the number in `x` (see numX). */
  private knum(k: Run): void {
    this.raw(k);
    this.numX();
  }

  /** A string with characters JSON escapes (or non-ASCII): JSON.stringify's text, as UTF-8. */
  private escaped(s: string): void {
    let json = JSON.stringify(s);
    // JSON.stringify leaves U+2028, U+2029 and NEL raw; renderNdjsonLine escapes them too.
    json = json.replace(LINE_BREAKS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    this.room(json.length * 3);
    this.u += (this.bufOf as Buffer).write(json, this.u, 'utf8');
  }

  /**
   * Writes the number in `x`. Numbers reach it through that field, not as an argument: a
   * double passed to a call V8 does not inline is boxed into a fresh heap number, and records
   * hold timestamps and counts as doubles (measured: ~10 per flow record, 250 MB of garbage on
   * the flow-heavy benchmark). `x` holds a non-number only on the way to ODD_VALUE.
   */
  private numX(): void {
    const v = this.x;
    if (typeof v !== 'number') throw ODD_VALUE;
    let x = v;
    this.room(NUMBER_ROOM);
    if ((x | 0) === x && x >= 0) {
      // Non-negative 32-bit integer (ports, counts, ids): digits written directly.
      const buf = this.buf;
      let digits = 1;
      for (let t = x; t >= 10; t = (t / 10) | 0) digits++;
      let p = this.u + digits;
      this.u = p;
      do {
        const q = (x / 10) | 0;
        buf[--p] = 0x30 + (x - q * 10);
        x = q;
      } while (x > 0);
      return;
    }
    if (x > 0 && x < TWO_POW_32) {
      const micros = Math.round(x * 1e6);
      if (micros / 1e6 === x) { this.x = micros; this.microsX(); return; }
    }
    // Everything else exactly as JSON.stringify writes it (non-finite numbers become null).
    const text = Number.isFinite(x) ? String(x) : 'null';
    const buf = this.buf;
    let u = this.u;
    for (let i = 0; i < text.length; i++) buf[u++] = text.charCodeAt(i);
    this.u = u;
  }

  /**
   * The number in `x` is µs: writes `x / 1e6`, a number that is exactly that (timestamps: epoch seconds with microseconds), as
   * seconds, a point and up to six digits without trailing zeros. For 0 < x < 2^32 this is the
   * text JSON.stringify writes: the double's spacing there is under 1e-6, so no decimal with
   * fewer digits lies within half a spacing of x, and this one does (a property test compares
   * it with String(x)). Converting a double to its shortest text cost ~0.5 µs each and three
   * per record; this costs a few integer divisions.
   */
  private microsX(): void {
    const micros = this.x as number;
    const buf = this.buf;
    const sec = Math.floor(micros / 1e6);
    let frac = micros - sec * 1e6;
    // Records come in time order, so consecutive timestamps mostly share their seconds: the
    // digits of the last seconds value are kept and copied.
    if (sec !== this.lastSec) {
      this.lastSec = sec;
      let digits = 1;
      for (let t = sec; t >= 10; t = Math.floor(t / 10)) digits++;
      this.secLen = digits;
      let v = sec;
      for (let p = digits; p > 0; ) {
        const q = Math.floor(v / 10);
        this.secDigits[--p] = 0x30 + (v - q * 10);
        v = q;
      }
    }
    const sd = this.secDigits;
    let u = this.u;
    for (let k = 0; k < this.secLen; k++) buf[u++] = sd[k];
    this.u = u;
    if (frac === 0) return;
    frac |= 0; // 1..999999
    let n = 6;
    while (frac % 10 === 0) { frac = (frac / 10) | 0; n--; }
    let p = u + 1 + n;
    buf[u] = 0x2e;
    this.u = p;
    for (let k = 0; k < n; k++) {
      const q = (frac / 10) | 0;
      buf[--p] = 0x30 + (frac - q * 10);
      frac = q;
    }
  }

  private bool(b: boolean): void {
    if (typeof b !== 'boolean') throw ODD_VALUE;
    this.raw(b ? TRUE_BYTES : FALSE_BYTES);
  }

  /** A list of strings (null is kstrList's to write). */
  private strList(a: readonly string[]): void {
    if (!Array.isArray(a)) throw ODD_VALUE;
    this.room(2);
    this.buf[this.u++] = 0x5b;
    for (let i = 0; i < a.length; i++) {
      if (i > 0) { this.room(1); this.buf[this.u++] = 0x2c; }
      this.str(a[i]);
    }
    this.room(1);
    this.buf[this.u++] = 0x5d;
  }

  // numList repeats strList's shape on purpose: one list writer taking the element writer as a
  // function would make a call per element that V8 does not inline on this per-record path.
  private numList(a: readonly number[] | null): void {
    if (a === null) { this.raw(NULL_BYTES); return; }
    if (!Array.isArray(a)) throw ODD_VALUE;
    this.room(2);
    this.buf[this.u++] = 0x5b;
    for (let i = 0; i < a.length; i++) {
      if (i > 0) { this.room(1); this.buf[this.u++] = 0x2c; }
      this.x = a[i]; this.numX();
    }
    this.room(1);
    this.buf[this.u++] = 0x5d;
  }

  private punct(c: number): void {
    this.room(1);
    this.buf[this.u++] = c;
  }

  private verdictFields(r: FlowRecord | DnsRecord, k: VerdictKeys, kn: VerdictKeys): void {
    if (r.verdict !== undefined) { this.kstr(k.verdict, r.verdict); }
    if (r.rule !== undefined) { this.kstrOrNull(k.rule, kn.rule, r.rule); }
    if (r.pack !== undefined) { this.kstrOrNull(k.pack, kn.pack, r.pack); }
    if (r.reasons !== undefined) { this.kstrList(k.reasons, kn.reasons, r.reasons); }
    if (r.explanation !== undefined) { this.kstr(k.explanation, r.explanation); }
  }

  private encodeFlow(r: FlowRecord): void {
    const k = FK;
    const kn = FKN;
    this.raw(k.type);
    this.x = r.id; this.knum(k.id);
    this.kstr(k.proto, r.proto);
    this.kstr(k.direction, r.direction);
    this.kstr(k.device_ip, r.device_ip);
    this.x = r.device_port; this.knum(k.device_port);
    this.kstr(k.remote_ip, r.remote_ip);
    this.x = r.remote_port; this.knum(k.remote_port);
    this.x = r.first_ts; this.knum(k.first_ts);
    this.x = r.last_ts; this.knum(k.last_ts);
    this.x = r.packets_out; this.knum(k.packets_out);
    this.x = r.packets_in; this.knum(k.packets_in);
    this.x = r.bytes_out; this.knum(k.bytes_out);
    this.x = r.bytes_in; this.knum(k.bytes_in);
    this.kstrOrNull(k.app, kn.app, r.app);
    this.kstrOrNull(k.sni, kn.sni, r.sni);
    this.kstrList(k.alpn, kn.alpn, r.alpn);
    this.kstrOrNull(k.http_host, kn.http_host, r.http_host);
    this.kstrList(k.dns_names, kn.dns_names, r.dns_names);
    this.kstrOrNull(k.name, kn.name, r.name);
    this.kstrOrNull(k.name_source, kn.name_source, r.name_source);
    this.raw(k.names);
    const names = r.names;
    if (!Array.isArray(names)) throw ODD_VALUE;
    this.punct(0x5b);
    for (let i = 0; i < names.length; i++) {
      if (i > 0) this.punct(0x2c);
      this.kstr(K_NAME_OPEN, names[i].name);
      this.kstr(K_SOURCE, names[i].source);
      this.punct(0x7d);
    }
    this.punct(0x5d);
    this.kstrList(k.anomalies, kn.anomalies, r.anomalies);
    if (r.unnamed_reason !== undefined) { this.kstrOrNull(k.unnamed_reason, kn.unnamed_reason, r.unnamed_reason); }
    if (r.tunnel_depth !== undefined) { this.x = r.tunnel_depth; this.knum(k.tunnel_depth); }
    if (r.syn_seen !== undefined) { this.raw(k.syn_seen); this.bool(r.syn_seen); }
    if (r.initiator_by !== undefined) { this.kstr(k.initiator_by, r.initiator_by); }
    if (r.tls_versions !== undefined) { this.raw(k.tls_versions); this.numList(r.tls_versions); }
    if (r.key_share_groups !== undefined) { this.raw(k.key_share_groups); this.numList(r.key_share_groups); }
    if (r.ech !== undefined) { this.raw(k.ech); this.bool(r.ech); }
    if (r.ech_config !== undefined) { this.raw(k.ech_config); this.bool(r.ech_config); }
    if (r.esni !== undefined) { this.raw(k.esni); this.bool(r.esni); }
    if (r.ja3 !== undefined) { this.kstrOrNull(k.ja3, kn.ja3, r.ja3); }
    if (r.ja4 !== undefined) { this.kstrOrNull(k.ja4, kn.ja4, r.ja4); }
    if (r.encrypted_dns !== undefined) { this.kstrOrNull(k.encrypted_dns, kn.encrypted_dns, r.encrypted_dns); }
    if (r.quic_version !== undefined) { this.kstr(k.quic_version, r.quic_version); }
    if (r.server_cert_names !== undefined) { this.kstrList(k.server_cert_names, kn.server_cert_names, r.server_cert_names); }
    if (r.process !== undefined) { this.kstr(k.process, r.process); }
    if (r.h2c !== undefined) { this.raw(k.h2c); this.bool(r.h2c); }
    if (r.tls_client !== undefined) { this.kstr(k.tls_client, r.tls_client); }
    if (r.reply_to !== undefined) { this.x = r.reply_to; this.knum(k.reply_to); }
    if (r.reply_group !== undefined) { this.kstr(k.reply_group, r.reply_group); }
    if (r.foreign !== undefined) { this.raw(k.foreign); this.bool(r.foreign); }
    if (r.quic_path_of !== undefined) { this.x = r.quic_path_of; this.knum(k.quic_path_of); }
    this.verdictFields(r, k, kn);
    if (r.open !== undefined) { this.raw(k.open); this.bool(r.open); }
    this.punct(0x7d);
  }

  private encodeDns(r: DnsRecord): void {
    const k = DK;
    const kn = DKN;
    this.raw(k.type);
    this.x = r.ts; this.knum(k.ts);
    this.kstr(k.proto, r.proto);
    if (r.app !== undefined) { this.kstr(k.app, r.app); }
    this.kstr(k.client_ip, r.client_ip);
    this.x = r.client_port; this.knum(k.client_port);
    this.kstr(k.server_ip, r.server_ip);
    this.x = r.server_port; this.knum(k.server_port);
    this.x = r.id; this.knum(k.id);
    this.kstr(k.qname, r.qname);
    this.kstr(k.qtype, r.qtype);
    this.kstrOrNull(k.rcode, kn.rcode, r.rcode);
    this.raw(k.answers);
    const answers = r.answers;
    if (!Array.isArray(answers)) throw ODD_VALUE;
    this.punct(0x5b);
    for (let i = 0; i < answers.length; i++) {
      const a = answers[i];
      if (i > 0) this.punct(0x2c);
      this.kstr(K_NAME_OPEN, a.name);
      this.kstr(K_TYPE, a.type);
      this.kstr(K_DATA, a.data);
      this.x = a.ttl; this.knum(K_TTL);
      this.punct(0x7d);
    }
    this.punct(0x5d);
    if (r.response_only !== undefined) { this.raw(k.response_only); this.bool(r.response_only); }
    if (r.flow_id !== undefined) { this.x = r.flow_id; this.knum(k.flow_id); }
    if (r.process !== undefined) { this.kstr(k.process, r.process); }
    if (r.direction !== undefined) { this.kstr(k.direction, r.direction); }
    if (r.foreign !== undefined) { this.raw(k.foreign); this.bool(r.foreign); }
    if (r.cname_of !== undefined) { this.kstr(k.cname_of, r.cname_of); }
    // Last of the pipeline's fields: a query learns it when its answer comes, after the others.
    if (r.ech_config !== undefined) { this.raw(k.ech_config); this.bool(r.ech_config); }
    this.verdictFields(r, k, kn);
    this.punct(0x7d);
  }
}
