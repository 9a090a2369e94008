/**
 * Writes a generated flood capture for the resource-exhaustion benchmark (flood-bench.ts): N
 * distinct 5-tuples, each its own flow, as a classic pcap of raw IPv4 packets. Kinds:
 *
 * - `syn`: one SYN per flow (a SYN flood or a port scan);
 * - `tls-partial`: SYN, then a segment opening a TLS handshake record that never completes
 *   (every flow keeps a stream head waiting for the rest of its ClientHello);
 * - `far-seq`: SYN, then one byte 16,000 bytes into the stream (a stream head that would be
 *   sized by the sequence gap, not by the bytes received);
 * - `big-head`: SYN, then one 16,000-byte segment (as a capture on the sending host has them)
 *   opening a TLS record that never completes: every flow holds a full stream head, so the
 *   stream-head budget must shed (16 KB a flow: meant for thousands of flows, not millions);
 * - `dns`: one DNS response per client address, each teaching a distinct A record (fills the
 *   DNS cache);
 * - `dtls-partial`: one UDP datagram per flow to 5684 carrying the first 1,200 bytes of a DTLS
 *   ClientHello that claims 16,000 (every flow holds a DTLS hello waiting for its other fragments).
 *
 * Output goes to ~/.cache/egress-audit-bench/ (never into the repository) unless --out is given.
 * Streams to disk in 4 MiB chunks; memory use is independent of N.
 *
 *   node dist/test/bench/make-flood.js [--kind syn|tls-partial|far-seq|big-head|dns|starttls-wait|http-tail|dtls-partial] [--flows N] [--out FILE]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Flood kinds this generator writes. */
export type FloodKind = 'syn' | 'tls-partial' | 'far-seq' | 'big-head' | 'dns' | 'starttls-wait' | 'http-tail' | 'dtls-partial';

/** Default location of generated floods (outside the repository). */
export const FLOOD_DIR = process.env.EGRESS_AUDIT_BENCH_DIR ?? path.join(os.homedir(), '.cache', 'egress-audit-bench');

const LINKTYPE_RAW = 101;
const T0_SEC = 1_704_067_200;
const CHUNK = 4 << 20;

/** Streams pcap records to a file descriptor through one reused buffer. */
class PcapStream {
  private readonly buf = Buffer.alloc(CHUNK);
  private n = 0;
  packets = 0;

  constructor(private readonly fd: number) {
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(65535, 16);
    h.writeUInt32LE(LINKTYPE_RAW, 20);
    fs.writeSync(fd, h);
  }

  /** Appends one packet at `usec` microseconds after T0. */
  write(usec: number, pkt: Buffer): void {
    if (this.n + 16 + pkt.length > CHUNK) this.flush();
    const b = this.buf;
    b.writeUInt32LE(T0_SEC + Math.floor(usec / 1e6), this.n);
    b.writeUInt32LE(usec % 1e6, this.n + 4);
    b.writeUInt32LE(pkt.length, this.n + 8);
    b.writeUInt32LE(pkt.length, this.n + 12);
    pkt.copy(b, this.n + 16);
    this.n += 16 + pkt.length;
    this.packets++;
  }

  /** Writes what is buffered. */
  flush(): void {
    if (this.n > 0) fs.writeSync(this.fd, this.buf, 0, this.n);
    this.n = 0;
  }
}

/** IPv4 header (no options, checksum left 0: the tool does not verify checksums) + transport bytes. */
function ipv4(src: number, dst: number, proto: number, l4: Buffer): Buffer {
  const p = Buffer.alloc(20 + l4.length);
  p[0] = 0x45;
  p.writeUInt16BE(p.length, 2);
  p[8] = 64;
  p[9] = proto;
  p.writeUInt32BE(src >>> 0, 12);
  p.writeUInt32BE(dst >>> 0, 16);
  l4.copy(p, 20);
  return p;
}

function tcp(sport: number, dport: number, seq: number, flags: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const t = Buffer.alloc(20 + payload.length);
  t.writeUInt16BE(sport, 0);
  t.writeUInt16BE(dport, 2);
  t.writeUInt32BE(seq >>> 0, 4);
  t[12] = 5 << 4;
  t[13] = flags;
  t.writeUInt16BE(65535, 14);
  payload.copy(t, 20);
  return t;
}

function udp(sport: number, dport: number, payload: Buffer): Buffer {
  const u = Buffer.alloc(8 + payload.length);
  u.writeUInt16BE(sport, 0);
  u.writeUInt16BE(dport, 2);
  u.writeUInt16BE(u.length, 4);
  payload.copy(u, 8);
  return u;
}

/** A DNS response for `q<i>.flood.example` with one A record pointing at `addr`. */
function dnsResponse(i: number, addr: number): Buffer {
  const labels = [`q${i}`, 'flood', 'example'];
  const qname = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.of(l.length), Buffer.from(l)])), Buffer.of(0)]);
  const head = Buffer.alloc(12);
  head.writeUInt16BE(i & 0xffff, 0);
  head.writeUInt16BE(0x8180, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(1, 6);
  const q = Buffer.concat([qname, Buffer.of(0, 1, 0, 1)]);
  const ans = Buffer.alloc(16);
  ans.writeUInt16BE(0xc00c, 0);
  ans.writeUInt16BE(1, 2);
  ans.writeUInt16BE(1, 4);
  ans.writeUInt32BE(3600, 6);
  ans.writeUInt16BE(4, 10);
  ans.writeUInt32BE(addr >>> 0, 12);
  return Buffer.concat([head, q, ans]);
}

const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;

/** Writes the flood and returns its path and packet count. */
export function makeFlood(kind: FloodKind, flows: number, out?: string): { file: string; packets: number; bytes: number } {
  const file = out ?? path.join(FLOOD_DIR, `flood-${kind}-${flows}.pcap`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file + '.part', 'w');
  const w = new PcapStream(fd);
  const dst = 0xcb007101; // 203.0.113.1
  // A partial TLS record: handshake header claiming 16,000 bytes, 64 of them present.
  const tlsHead = Buffer.concat([Buffer.of(0x16, 0x03, 0x01, 0x3e, 0x80, 0x01, 0x00, 0x3e, 0x7c, 0x03, 0x03), Buffer.alloc(53, 0x41)]);
  // The same record with 16,000 of its 16,005 bytes present.
  const bigHead = Buffer.concat([tlsHead, Buffer.alloc(16_000 - tlsHead.length, 0x41)]);
  // A DTLS record (epoch 0) with the first 1,200 bytes of a ClientHello of 16,000: message_seq 0, fragment offset 0.
  const dtlsHead = Buffer.concat([
    Buffer.of(0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, (1212 >> 8) & 0xff, 1212 & 0xff),
    Buffer.of(0x01, 0x00, 0x3e, 0x80, 0, 0, 0, 0, 0, 0x00, 0x04, 0xb0), Buffer.alloc(1200, 0x41),
  ]);
  // An SMTP session that never gets to STARTTLS: each flow's head waits for the upgrade (4 KiB bound).
  const ehlo = Buffer.from('EHLO device.example\r\n', 'latin1');
  // A keep-alive connection whose second request head never completes: each flow holds a later-request head.
  const httpTail = Buffer.from('GET / HTTP/1.1\r\nHost: a.example\r\n\r\nGET /next HTTP/1.1\r\nHo', 'latin1');
  for (let i = 0; i < flows; i++) {
    // Distinct 5-tuples: the source address walks 10.0.0.0/8 (16 ports each), so the table
    // sees `flows` different keys however large `flows` is (up to 268 M).
    const src = (0x0a000000 | (i >>> 4)) >>> 0;
    const sport = 1024 + (i & 15) * 4001;
    const usec = i * 2; // 500 k packets per second of capture time: nothing idles out
    const isn = (i * 2654435761) >>> 0;
    if (kind === 'dns') {
      w.write(usec, ipv4(dst, src, 17, udp(53, sport, dnsResponse(i, (0x64400000 + i) >>> 0))));
      continue;
    }
    if (kind === 'dtls-partial') {
      w.write(usec, ipv4(src, dst, 17, udp(sport, 5684, dtlsHead)));
      continue;
    }
    const dport = kind === 'starttls-wait' ? 587 : kind === 'http-tail' ? 80 : 443;
    w.write(usec, ipv4(src, dst, 6, tcp(sport, dport, isn, SYN)));
    if (kind === 'tls-partial') w.write(usec + 1, ipv4(src, dst, 6, tcp(sport, 443, isn + 1, ACK | PSH, tlsHead)));
    else if (kind === 'far-seq') w.write(usec + 1, ipv4(src, dst, 6, tcp(sport, 443, isn + 1 + 16_000, ACK | PSH, Buffer.of(0x16))));
    else if (kind === 'big-head') w.write(usec + 1, ipv4(src, dst, 6, tcp(sport, 443, isn + 1, ACK | PSH, bigHead)));
    else if (kind === 'starttls-wait') w.write(usec + 1, ipv4(src, dst, 6, tcp(sport, dport, isn + 1, ACK | PSH, ehlo)));
    else if (kind === 'http-tail') w.write(usec + 1, ipv4(src, dst, 6, tcp(sport, dport, isn + 1, ACK | PSH, httpTail)));
  }
  w.flush();
  fs.closeSync(fd);
  fs.renameSync(file + '.part', file);
  return { file, packets: w.packets, bytes: fs.statSync(file).size };
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const kind = (arg(argv, '--kind') ?? 'syn') as FloodKind;
  if (!['syn', 'tls-partial', 'far-seq', 'big-head', 'dns', 'starttls-wait', 'http-tail', 'dtls-partial'].includes(kind)) {
    process.stderr.write(`make-flood: unknown --kind ${kind}\n`);
    process.exit(2);
  }
  const flows = Number(arg(argv, '--flows') ?? 2_000_000);
  const r = makeFlood(kind, flows, arg(argv, '--out'));
  process.stdout.write(`${r.file}: ${r.packets} packets, ${(r.bytes / 1e6).toFixed(1)} MB\n`);
}
