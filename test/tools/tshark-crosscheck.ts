/**
 * Development cross-check against tshark on any captures, beyond the corpus in ../shared: for
 * each file, replays it with egress-audit and asks tshark for the same facts the conformance
 * test compares (TCP ClientHello SNIs on their 5-tuple, QUIC and gQUIC SNIs, DTLS ClientHello
 * SNIs on their UDP 5-tuple, DNS query names, HTTP Hosts and h2 authorities, TCP/UDP
 * conversations), then prints one JSON line per capture with what tshark found that
 * egress-audit did not (and conversations egress-audit adds), and a tally at the end. Real captures to feed it come with the Debian sources of the projects
 * whose test suites the corpus is drawn from (`apt-get source ndpi tcpdump wireshark libpcap`,
 * with a deb-src line: tests/pcap, tests/, test/captures), and of others whose tests ship
 * captures (gopacket, dnscap, python-dpkt, tcpflow, ladvd, pcapfix, cowpatty, pcapy,
 * libnet-pcap-perl).
 *
 * Test tooling only, never run by `npm test`: it needs tshark and files outside the repository.
 * It never changes a capture and never decides a verdict: differences are for a human to read,
 * and several are deliberate (strict IP/UDP length checks, as the benchmark's ground truth asks;
 * link types tshark does not decode either; DNS names with bytes tshark prints raw).
 *
 * Usage: npm run crosscheck -- FILE... (or a file listing captures, one per line, with @LIST)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'egress-audit.js');
const SEP = '\x1f';
const FIELDS = [
  // The Source and Destination columns hold the innermost network addresses (a tunnel's inner packet).
  'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', '_ws.col.Source', '_ws.col.Destination',
  'tls.handshake.extensions_server_name', 'dtls.handshake.extensions_server_name', 'gquic.tag.sni', 'dns.flags.response', 'dns.qry.name', 'http.host', 'http2.headers.authority',
] as const;
const F = Object.fromEntries(FIELDS.map((f, i) => [f, i])) as Record<(typeof FIELDS)[number], number>;

interface Result {
  file: string;
  exit: number | string;
  error?: string;
  missingSni: string[];
  missingQuicSni: string[];
  missingDnsNames: string[];
  missingHosts: string[];
  missingConversations: string[];
  extraConversations: string[];
  flowRecordsOverConversations: number;
}

/** The NDJSON fields this check reads (README: "NDJSON output"). */
interface NdjsonRecord {
  type: string;
  proto: string;
  device_ip: string;
  device_port: number;
  remote_ip: string;
  remote_port: number;
  sni?: string | null;
  http_host?: string | null;
  name?: string | null;
  names?: { name: string }[];
  qname?: string;
}

/** Canonical address text (IPv6 compressed, as Node prints it). */
function canon(ip: string): string {
  if (net.isIPv6(ip)) return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  return ip;
}

function pairKey(proto: string, a: [string, number], b: [string, number]): string {
  const x = `${canon(a[0])}|${a[1]}`;
  const y = `${canon(b[0])}|${b[1]}`;
  return `${proto} ${x < y ? `${x} ${y}` : `${y} ${x}`}`;
}

/** The last value of a tshark field that can occur once per layer (the innermost). */
const last = (v: string): string => v.split(SEP).pop() ?? '';

function hostOf(h: string): string {
  // tshark's field output writes a tab or line end inside a value as `\t`, `\r`, `\n`.
  let s = h.replace(/\\[trn]/g, ' ').trim().toLowerCase();
  if (s.startsWith('[')) return s.slice(1, Math.max(1, s.indexOf(']')));
  const colon = s.lastIndexOf(':');
  if (colon > 0 && s.indexOf(':') === colon && /^\d*$/.test(s.slice(colon + 1))) s = s.slice(0, colon);
  return s.replace(/\.$/, '');
}

function crossCheck(file: string): Result {
  const r: Result = {
    file, exit: 0, missingSni: [], missingQuicSni: [], missingDnsNames: [], missingHosts: [],
    missingConversations: [], extraConversations: [], flowRecordsOverConversations: 0,
  };
  const ours = spawnSync(process.execPath, [BIN, 'replay', file, '--format', 'ndjson'], { maxBuffer: 1 << 30, timeout: 600_000 });
  r.exit = ours.status ?? String(ours.signal);
  if (ours.status === 2) r.error = ours.stderr.toString().split('\n')[0];
  const recs = ours.stdout.toString().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as NdjsonRecord);
  const flows = recs.filter((x) => x.type === 'flow');
  const dns = recs.filter((x) => x.type === 'dns');
  const namesByFlow = new Map<string, Set<string>>();
  const allNames = new Set<string>();
  for (const f of flows) {
    const k = pairKey(f.proto, [f.device_ip, f.device_port], [f.remote_ip, f.remote_port]);
    const set = namesByFlow.get(k) ?? new Set<string>();
    for (const n of [f.sni, f.http_host, f.name, ...(f.names ?? []).map((x) => x.name)]) {
      if (typeof n === 'string') { set.add(n); allNames.add(n); }
    }
    namesByFlow.set(k, set);
  }
  const qnames = new Set(dns.map((d) => String(d.qname).toLowerCase()));

  const t = spawnSync('tshark', ['-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', `aggregator=${SEP}`, '-E', 'separator=/t',
    // A packet quoted in an ICMP error (a Packet Too Big quoting a ClientHello) is no flow of
    // its own: its ports are the quoted packet's and its addresses the ICMP sender's, so it is
    // left out, as the corpus ground truth keeps DNS found only in ICMP errors apart.
    ...FIELDS.flatMap((f) => ['-e', f]), '-Y', '(tls.handshake.type == 1 or dtls.handshake.type == 1 or dns or http.request or http2.headers.authority or gquic.tag.sni) and not icmp and not icmpv6'],
  { maxBuffer: 1 << 30, timeout: 600_000 });
  for (const line of t.stdout.toString().split('\n')) {
    if (line === '') continue;
    const v = line.split('\t');
    const sni = v[F['tls.handshake.extensions_server_name']] ?? '';
    if (sni !== '' && v[F['tcp.srcport']] !== '') {
      const src = v[F['_ws.col.Source']];
      const dst = v[F['_ws.col.Destination']];
      const k = pairKey('tcp', [src, Number(last(v[F['tcp.srcport']]))], [dst, Number(last(v[F['tcp.dstport']]))]);
      for (const s of sni.split(SEP)) if (!namesByFlow.get(k)?.has(s) && !namesByFlow.get(k)?.has(s.toLowerCase())) r.missingSni.push(`${k} ${s}`);
    }
    // tshark names DTLS's fields apart from TLS's; a DTLS hello names its UDP 5-tuple.
    const dtlsSni = v[F['dtls.handshake.extensions_server_name']] ?? '';
    if (dtlsSni !== '' && v[F['udp.srcport']] !== '') {
      const k = pairKey('udp', [v[F['_ws.col.Source']], Number(last(v[F['udp.srcport']]))], [v[F['_ws.col.Destination']], Number(last(v[F['udp.dstport']]))]);
      for (const s of dtlsSni.split(SEP)) if (!namesByFlow.get(k)?.has(s) && !namesByFlow.get(k)?.has(s.toLowerCase())) r.missingSni.push(`${k} ${s}`);
    }
    const quicSni = [...(v[F['udp.srcport']] !== '' && v[F['tcp.srcport']] === '' ? sni.split(SEP) : []), ...(v[F['gquic.tag.sni']] ?? '').split(SEP)];
    for (const s of quicSni) if (s !== '' && !allNames.has(s) && !allNames.has(s.toLowerCase())) r.missingQuicSni.push(s);
    const responses = (v[F['dns.flags.response']] ?? '').split(SEP);
    if (v[F['dns.qry.name']] && (responses[responses.length - 1] === '0' || responses[responses.length - 1] === 'False')) {
      for (const n of v[F['dns.qry.name']].split(SEP)) {
        // tshark prints names with odd bytes raw; egress-audit escapes them (\DDD): only printable names compare.
        if (/^[\x21-\x7e]+$/.test(n) && !/^<.*>$/.test(n) && !qnames.has(n.toLowerCase().replace(/\.$/, ''))) r.missingDnsNames.push(n);
      }
    }
    for (const h of [...(v[F['http.host']] || '').split(SEP), ...(v[F['http2.headers.authority']] || '').split(SEP)]) {
      const host = hostOf(h);
      if (host !== '' && net.isIP(host) === 0 && !allNames.has(host)) r.missingHosts.push(host);
    }
  }

  const conv = spawnSync('tshark', ['-r', file, '-q', '-z', 'conv,tcp', '-z', 'conv,udp'], { maxBuffer: 1 << 30, timeout: 600_000 });
  const want = new Set<string>();
  let proto = '';
  for (const line of conv.stdout.toString().split('\n')) {
    if (line.startsWith('TCP Conversations')) proto = 'tcp';
    else if (line.startsWith('UDP Conversations')) proto = 'udp';
    const m = /^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+\d/.exec(line);
    if (m && proto !== '') want.add(pairKey(proto, [m[1], Number(m[2])], [m[3], Number(m[4])]));
  }
  const got = new Set(flows.map((f) => pairKey(f.proto, [f.device_ip, f.device_port], [f.remote_ip, f.remote_port])));
  r.missingConversations = [...want].filter((k) => !got.has(k));
  r.extraConversations = [...got].filter((k) => !want.has(k));
  r.flowRecordsOverConversations = flows.length - got.size;
  for (const key of ['missingSni', 'missingQuicSni', 'missingDnsNames', 'missingHosts', 'missingConversations', 'extraConversations'] as const) {
    r[key] = [...new Set(r[key])].slice(0, 10);
  }
  return r;
}

function main(): void {
  const files = process.argv.slice(2).flatMap((a) => (a.startsWith('@') ? fs.readFileSync(a.slice(1), 'utf8').split('\n').filter(Boolean) : [a]));
  if (files.length === 0) {
    process.stderr.write('usage: npm run crosscheck -- FILE... | @LIST\n');
    process.exitCode = 2;
    return;
  }
  let differing = 0;
  for (const f of files) {
    const r = crossCheck(f);
    const differs = r.missingSni.length + r.missingQuicSni.length + r.missingDnsNames.length + r.missingHosts.length +
      r.missingConversations.length + r.extraConversations.length > 0 || r.exit === 2;
    if (differs) differing++;
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
  process.stderr.write(`${files.length} captures, ${differing} with a difference from tshark to read\n`);
}

main();
