/**
 * DNS over TCP on a connection reused for many queries (RFC 7766 §6.2.1: resolvers keep a
 * connection to an authoritative server open; `dig +keepopen`; a stub after a truncated UDP
 * answer). tshark reads every message of such a stream; so must the pipeline, past the 16 KiB
 * a stream head holds: read messages leave the head, a message too long for it is skipped by its
 * length prefix, and a segment larger than the head (segmentation offload) loses nothing.
 */
import { Scenario } from './scenario';
import { DNS_A, DnsAnswerSpec, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN, dnsMessage, tcpPacket } from '../../helpers/packets';
import { dnsOverTcp } from '../../gen/app-messages';

const DEV = '192.0.2.10';
const SRV = '198.51.100.53';

/** `n` A answers for `name` (no name compression: ~31 bytes each). */
function answers(name: string, n: number): DnsAnswerSpec[] {
  return Array.from({ length: n }, (_, i) => ({ name, type: DNS_A, ttl: 300, data: `203.0.113.${i % 250}` }));
}

/**
 * One TCP connection DEV:40000 → SRV:53 with a handshake; then each step sends `bytes` from one
 * side in one segment (or in the pieces given), and the connection closes.
 */
function conversation(steps: { from: 'client' | 'server'; bytes: Uint8Array; pieces?: [number, number][] }[]): Scenario {
  const s = new Scenario();
  let cseq = 1001;
  let sseq = 5001;
  let t = 0;
  const c = (flags: number, payload?: Uint8Array, seq = cseq): void => { s.at(t++, tcpPacket({ src: DEV, dst: SRV, sport: 40000, dport: 53, flags, seq, ack: sseq, payload })); };
  const r = (flags: number, payload?: Uint8Array, seq = sseq): void => { s.at(t++, tcpPacket({ src: SRV, dst: DEV, sport: 53, dport: 40000, flags, seq, ack: cseq, payload })); };
  s.at(t++, tcpPacket({ src: DEV, dst: SRV, sport: 40000, dport: 53, flags: TCP_SYN, seq: 1000 }));
  r(TCP_SYN | TCP_ACK, undefined, 5000);
  c(TCP_ACK);
  for (const step of steps) {
    const pieces = step.pieces ?? [[0, step.bytes.length]];
    for (const [off, len] of pieces) {
      const part = step.bytes.subarray(off, off + len);
      if (step.from === 'client') c(TCP_ACK | TCP_PSH, part, cseq + off);
      else r(TCP_ACK | TCP_PSH, part, sseq + off);
    }
    if (step.from === 'client') cseq += step.bytes.length;
    else sseq += step.bytes.length;
  }
  c(TCP_FIN | TCP_ACK);
  r(TCP_FIN | TCP_ACK);
  return s;
}

const q = (id: number, name: string): Uint8Array => dnsOverTcp([dnsMessage(id, false, name, DNS_A)]);
const a = (id: number, name: string, n: number): Uint8Array => dnsOverTcp([dnsMessage(id, true, name, DNS_A, answers(name, n))]);

test('forty queries with 3 KB answers on one connection: every query is read and joined to its answer', () => {
  const steps = [];
  for (let i = 0; i < 40; i++) steps.push({ from: 'client' as const, bytes: q(i, `k${i}.example.com`) }, { from: 'server' as const, bytes: a(i, `k${i}.example.com`, 100) });
  const r = conversation(steps).run([DEV]);
  expect(r.dns.map((d) => d.qname)).toEqual(Array.from({ length: 40 }, (_, i) => `k${i}.example.com`));
  for (const d of r.dns) {
    expect(d.response_only).toBeUndefined();
    expect(d.answers).toHaveLength(100);
  }
  expect(r.flows).toHaveLength(1);
  expect(r.flows[0]).toMatchObject({ app: 'dns', anomalies: [] });
  // The flow keeps its first 32 names (MAX_NAMES_PER_FLOW); the DNS records carry all of them.
  expect(r.flows[0].dns_names).toEqual(Array.from({ length: 32 }, (_, i) => `k${i}.example.com`));
  expect(r.summary.anomalies).toEqual({});
});

test('a 20 KB zone-transfer chunk is skipped by its length prefix; the messages after it are read', () => {
  const chunk = a(1, 'zone.example.com', 700);
  expect(chunk.length).toBeGreaterThan(16 * 1024);
  const pieces: [number, number][] = [];
  for (let o = 0; o < chunk.length; o += 1400) pieces.push([o, Math.min(1400, chunk.length - o)]);
  const r = conversation([
    { from: 'client', bytes: q(1, 'zone.example.com') },
    { from: 'server', bytes: chunk, pieces },
    { from: 'client', bytes: q(2, 'after.example.com') },
    { from: 'server', bytes: a(2, 'after.example.com', 2) },
  ]).run([DEV]);
  // The chunk's answers were never read: its query is reported unanswered when the flow ends.
  expect(r.dns.map((d) => [d.qname, d.answers.length, d.response_only ?? false]).sort()).toEqual([
    ['after.example.com', 2, false],
    ['zone.example.com', 0, false],
  ]);
  expect(r.flows[0].anomalies).toEqual(['dns.tcp_message_too_large']);
  expect(r.summary.anomalies).toEqual({ 'dns.tcp_message_too_large': 1 });
});

test('200 queries in one 6 KB segment and 200 in one 44 KB segment (offloaded segmentation) are all read', () => {
  // Names of `labels` 60-byte labels before the number: ~220-byte queries with 3.
  const many = (from: number, n: number, labels: number): Uint8Array =>
    dnsOverTcp(Array.from({ length: n }, (_, i) => dnsMessage(from + i, false, `${'p'.repeat(60)}.`.repeat(labels) + `${from + i}.example.com`, DNS_A)));
  const big = many(1000, 200, 3);
  expect(big.length).toBeGreaterThan(32 * 1024);
  const r = conversation([
    { from: 'client', bytes: many(0, 200, 0) },
    { from: 'client', bytes: big },
  ]).run([DEV]);
  expect(r.summary.anomalies).toEqual({});
  expect(r.dns).toHaveLength(400);
  expect(new Set(r.dns.map((d) => d.id)).size).toBe(400);
  expect(r.summary.anomalies).toEqual({});
});

test('a message cut across segments at every offset of its length prefix is read whole', () => {
  const first = q(7, 'first.example.com');
  const second = q(8, 'second.example.com');
  const both = new Uint8Array([...first, ...second]);
  for (const cut of [first.length - 1, first.length, first.length + 1, first.length + 2]) {
    const r = conversation([{ from: 'client', bytes: both, pieces: [[0, cut], [cut, both.length - cut]] }]).run([DEV]);
    expect(r.dns.map((d) => d.qname).sort()).toEqual(['first.example.com', 'second.example.com']);
  }
});
