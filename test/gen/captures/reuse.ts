/**
 * Shapes real stacks send that tshark reads whole: a DNS-over-TCP connection reused for many
 * queries past the 16 KiB a stream head holds, DNS-SD names with spaces and UTF-8 (Apple's
 * device names), a TCP connection refused and retried with the same SYN (Windows) or reopened
 * with a new ISN on the same port (a device that rebooted), and HTTP heads off the RFC.
 *
 * Test tooling only: names are example.* (RFC 2606) and DNS-SD names of the .local domain,
 * addresses from RFC 5737, and the mDNS group 224.0.0.251 (RFC 6762 §3).
 */
import { DNS_TYPE_SRV, DNS_TYPE_TXT, DnsMessageSpec, TCP_ACK, TCP_RST, TCP_SYN, dnsMessage, dnsOverTcp, httpResponse, latin1, tlsClientHello } from '../packets';
import { CaptureBuilder, TcpScript, UdpScript, expectDns, ms } from '../scenario';
import { CaptureDefinition, DEVICE_V4, DEVICE_V6, RESOLVER, T0, device, ethernetPcap, finishTlsSession, remote, TSHARK_HELLOS_AND_REQUESTS } from './common';

/** mDNS's IPv4 group and its multicast MAC (RFC 1112 §6.4). */
const MDNS_GROUP = { ip: '224.0.0.251', mac: '01:00:5e:00:00:fb', port: 5353 };

export const REUSE_AND_TEXT_NAMES: CaptureDefinition = {
  file: 'reuse-and-text-names.pcap',
  title: 'A DNS-over-TCP connection reused for 24 queries, DNS-SD names with spaces and UTF-8, TCP retries and port reuse, HTTP heads off the RFC',
  holds: [
    'Ethernet, classic pcap:',
    '1. 192.0.2.10:50400 to the resolver 192.0.2.1:53 over TCP: 24 TXT queries `r0.example.com` … `r23.example.com`, each answered ' +
    'with eight 200-byte strings (~1.9 KB a response, ~45 KB in all) before the next is sent (RFC 7766 §6.2.1 connection reuse). ' +
    'tshark lists all 24; every one is reported with its answers: read messages leave the 16 KiB stream head.',
    '2. an mDNS query from 192.0.2.10:5353 to 224.0.0.251:5353 for `Living Room._airplay._tcp.local` SRV and ' +
    '`John’s MacBook Pro._companion-link._tcp.local` TXT (RFC 6763 §4.1.1 instance names: spaces, U+2019 in UTF-8): ' +
    'tshark shows the names as text, and so do the records (lowercased).',
    '3. 192.0.2.10:50420 to 203.0.113.90:443: a SYN answered with a RST, the same SYN (same ISN) 0.5 s and 1.5 s later, the ' +
    'third answered: a TLS session (SNI `retry.example.com`). tshark marks the repeated SYNs as retransmissions: one conversation, one flow.',
    '4. 192.0.2.10:50421 to 203.0.113.91:443: a TLS session (SNI `before.example.com`) never closed, then a SYN with a new ISN on ' +
    'the same ports 2 s later (a device that rebooted) and a second session (SNI `after.example.com`): two conversations for ' +
    'tshark, two flows.',
    '5. 192.0.2.10:50430 to 198.51.100.80:80: `GET /fw/latest build.bin HTTP/1.1` (a space sent unescaped in the target), a ' +
    'header line `X Firmware: 4.2` that is no field, then `Host: fw.example.com`; then a POST with a 9-byte body followed ' +
    'by a CRLF and a GET for `next.example.com` in the same segment. tshark names both Hosts; so does egress-audit, the ' +
    'first request flagged `http.malformed_request`.',
  ],
  builder: 'REUSE_AND_TEXT_NAMES in test/gen/captures/reuse.ts',
  tshark: [
    {
      args: ['-Y', 'dns.flags.response == 0', '-T', 'fields', '-e', 'udp.srcport', '-e', 'tcp.srcport', '-e', 'dns.qry.name'],
      output: Array.from({ length: 24 }, (_, i) => `\t50400\tr${i}.example.com\n`).join('') +
        '5353\t\tLiving Room._airplay._tcp.local,John’s MacBook Pro._companion-link._tcp.local\n',
    },
    {
      args: [...TSHARK_HELLOS_AND_REQUESTS],
      // The POST and the GET after it share a frame: tshark prints both Hosts on its line.
      output: '1\t50420\tretry.example.com\t\n2\t50421\tbefore.example.com\t\n3\t50421\tafter.example.com\t\n' +
        '4\t50430\t\tfw.example.com\n4\t50430\t\tfw.example.com,next.example.com\n',
    },
  ],
  build() {
    const b = new CaptureBuilder([{ kind: 'ethernet' }], [DEVICE_V4, DEVICE_V6]);

    // 1. DNS over TCP, one connection, 24 lookups in turn.
    const dnsTcp = new TcpScript(b, 0, device(50400), RESOLVER, { clientIsn: 0x50400001, serverIsn: 0x53000001, rttMs: 3 });
    let t = dnsTcp.handshake(T0 + ms(1));
    const dns = [];
    for (let i = 0; i < 24; i++) {
      const name = `r${i}.example.com`;
      const q: DnsMessageSpec = { id: 0x2400 + i, response: false, questions: [{ name, type: DNS_TYPE_TXT }] };
      const r: DnsMessageSpec = {
        ...q, response: true,
        answers: Array.from({ length: 8 }, (_, k) => ({ name, type: DNS_TYPE_TXT, ttl: 60, data: `${String.fromCharCode(97 + k)}${i}`.padEnd(200, 'x') })),
      };
      const at = t + ms(1);
      t = dnsTcp.send('c2s', at, dnsOverTcp([dnsMessage(q)]));
      t = dnsTcp.send('s2c', t + dnsTcp.rtt, dnsOverTcp([dnsMessage(r)]), 2);
      dnsTcp.ack('c2s', t + ms(0.2));
      t += ms(0.2);
      dns.push(...expectDns(dnsTcp, at, q, r));
    }
    dnsTcp.close(t + ms(2));

    // 2. mDNS: one query, two DNS-SD instance names.
    const mdns = new UdpScript(b, 0, device(5353), MDNS_GROUP);
    const mq: DnsMessageSpec = {
      id: 0, response: false, questions: [
        { name: 'Living Room._airplay._tcp.local', type: DNS_TYPE_SRV },
        { name: 'John’s MacBook Pro._companion-link._tcp.local', type: DNS_TYPE_TXT },
      ],
    };
    const mdnsAt = T0 + ms(300);
    mdns.send('c2s', mdnsAt, dnsMessage(mq));
    const mdnsRecords = expectDns(mdns, mdnsAt, mq, null);

    // 3. Refused twice with a RST, retried with the very same SYN, answered the third time.
    const retry = new TcpScript(b, 0, device(50420), remote('203.0.113.90', 443), { clientIsn: 0x50420001, serverIsn: 0x90000001, rttMs: 15 });
    const isn = retry.nextSeq('c2s');
    const retryAt = T0 + ms(400);
    for (const [k, offMs] of [[0, 0], [1, 500], [2, 1500]] as const) {
      retry.segment('c2s', retryAt + ms(offMs), TCP_SYN, undefined, isn);
      if (k < 2) retry.segment('s2c', retryAt + ms(offMs) + retry.rtt, TCP_RST | TCP_ACK);
    }
    // The retry's own sequence space: the SYN took one number.
    retry.segment('s2c', retryAt + ms(1500) + retry.rtt, TCP_SYN | TCP_ACK);
    retry.segment('c2s', retryAt + ms(1500) + retry.rtt + ms(0.2), TCP_ACK, undefined, isn + 1);
    const retryHello = retry.send('c2s', retryAt + ms(1500) + retry.rtt + ms(0.5), tlsClientHello({ seed: `${this.file}/3`, serverName: 'retry.example.com', alpn: ['h2'] }).record);
    finishTlsSession(retry, retryAt + ms(1500), retryHello, `${this.file}/3`, [{ atMs: 100, request: 300, response: 900 }]);

    // 4. The same ports again with a new ISN while the first connection was never closed.
    const before = new TcpScript(b, 0, device(50421), remote('203.0.113.91', 443), { clientIsn: 0x11110001, serverIsn: 0x91000001, rttMs: 15 });
    const beforeAt = T0 + ms(2500);
    let bt = before.handshake(beforeAt);
    bt = before.send('c2s', bt + ms(0.3), tlsClientHello({ seed: `${this.file}/4a`, serverName: 'before.example.com', alpn: ['h2'] }).record);
    finishTlsSession(before, beforeAt, bt, `${this.file}/4a`, [{ atMs: 100, request: 200, response: 400 }], false);
    const after = new TcpScript(b, 0, device(50421), remote('203.0.113.91', 443), { clientIsn: 0x77770001, serverIsn: 0x91100001, rttMs: 15 });
    const afterAt = beforeAt + ms(2000);
    let at2 = after.handshake(afterAt);
    at2 = after.send('c2s', at2 + ms(0.3), tlsClientHello({ seed: `${this.file}/4b`, serverName: 'after.example.com', alpn: ['h2'] }).record);
    finishTlsSession(after, afterAt, at2, `${this.file}/4b`, [{ atMs: 100, request: 200, response: 400 }]);

    // 5. HTTP heads off the RFC that tshark still names.
    const http = new TcpScript(b, 0, device(50430), remote('198.51.100.80', 80), { clientIsn: 0x50430001, serverIsn: 0x80000001, rttMs: 9 });
    const ok = httpResponse(200, 'OK', [['Content-Type', 'text/plain']], 'ok\n');
    let ht = http.handshake(T0 + ms(6000));
    ht = http.exchange(ht + ms(0.3), latin1('GET /fw/latest build.bin HTTP/1.1\r\nX Firmware: 4.2\r\nHost: fw.example.com\r\nAccept: */*\r\n\r\n'), ok);
    ht = http.exchange(ht + ms(5), latin1('POST /log HTTP/1.1\r\nHost: fw.example.com\r\nContent-Length: 9\r\n\r\nlevel=ok\n\r\nGET /next HTTP/1.1\r\nHost: next.example.com\r\n\r\n'), ok);
    http.close(ht + ms(5));

    const built = ethernetPcap(this.file, b.records(), [
      dnsTcp.expect({
        why: 'one DNS-over-TCP connection, 24 lookups in turn (45 KB of answers): every query read', app: 'dns', syn_seen: true,
        // The flow keeps its first 32 names; all 24 fit.
        dns_names: Array.from({ length: 24 }, (_, i) => `r${i}.example.com`), anomalies: [],
      }),
      mdns.expect({
        why: 'DNS-SD instance names are text: spaces and UTF-8 as tshark shows them, lowercased', app: 'mdns',
        dns_names: ['living room._airplay._tcp.local', 'john’s macbook pro._companion-link._tcp.local'],
      }),
      retry.expect({
        why: 'the same SYN after each RST is the same connection (tshark: retransmissions), named by its hello',
        app: 'tls', sni: 'retry.example.com', name: 'retry.example.com', name_source: 'sni', syn_seen: true, anomalies: [],
      }),
      before.expect({ why: 'the first connection on the reused ports, never closed', app: 'tls', sni: 'before.example.com', name: 'before.example.com' }),
      after.expect({ why: 'a SYN with a new ISN on the same ports: a new connection (tshark: a new conversation)', app: 'tls', sni: 'after.example.com', name: 'after.example.com', syn_seen: true }),
      http.expect({
        why: 'both Hosts named: the first request\'s line and one header line are off the RFC; the second follows a body and a CRLF',
        app: 'http', http_host: 'fw.example.com', names_include: [{ name: 'next.example.com', source: 'http-host' }],
        anomalies: ['http.malformed_request'],
      }),
    ], [...dns, ...mdnsRecords]);
    return built;
  },
};
