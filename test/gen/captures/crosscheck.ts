/**
 * Shapes the tshark cross-check on the nDPI, tcpdump and Wireshark test suites turned up (`npm
 * run crosscheck`), one of each, so the fixtures hold them too: a ClientHello whose last
 * extension's length runs past the message after an intact server_name (nDPI's
 * tls_invalid_reads), a DNSCrypt v1 certificate query on UDP 443 padded to 512 bytes (nDPI's
 * dnscrypt-v1-and-resolver-pings), UDP behind an IPv6 Segment Routing Header with segments
 * left (tcpdump's ipv6-srh-insert-cksum), TCP on DLT_PPP carried in Cisco HDLC frames (nDPI's
 * BGP_Cisco_hdlc_slarp), and DNS over IP over InfiniBand (tcpdump's ipoib).
 *
 * Test tooling only: names are example.* (RFC 2606), addresses from RFC 5737 and RFC 3849.
 */
import { LINKTYPE_ETHERNET, LINKTYPE_IPOIB, LINKTYPE_PPP } from '../../../src/capture/source';
import { serializePcapng } from '../capture-file';
import { DNS_TYPE_A, DNS_TYPE_TXT, DnsMessageSpec, GREASE_B, dnsMessage, httpRequest, httpResponse, ipv6, tlsClientHello, udp } from '../packets';
import { CaptureBuilder, TcpScript, UdpScript, expectDns, ms, udpDnsLookup } from '../scenario';
import { CaptureDefinition, DEVICE_ARGS, DEVICE_V4, DEVICE_V6, RESOLVER, T0, device, remote, summaryOf, tlsSession } from './common';

/** IPv6 Routing header type 4 (RFC 8754 §2). */
const IPPROTO_ROUTING = 43;

/** Cisco HDLC framing: unicast address 0x0f, control 0, the ethertype. */
function ciscoHdlc(packet: Uint8Array): Uint8Array {
  const v6 = packet[0] >> 4 === 6;
  return Uint8Array.from([0x0f, 0x00, v6 ? 0x86 : 0x08, v6 ? 0xdd : 0x00, ...packet]);
}

/** IPoIB (RFC 4391, as Linux captures it): destination QPN + GID, a zero source address, ethertype, reserved. */
function ipoib(packet: Uint8Array): Uint8Array {
  const h = new Uint8Array(44);
  h.set([0x00, 0x00, 0x05, 0x50, 0xfe, 0x80], 0);
  h.set([0x00, 0x10, 0xe0, 0x00, 0x66, 0x4a, 0xb4, 0x51], 12);
  const v6 = packet[0] >> 4 === 6;
  h[40] = v6 ? 0x86 : 0x08;
  h[41] = v6 ? 0xdd : 0x00;
  const out = new Uint8Array(44 + packet.length);
  out.set(h);
  out.set(packet, 44);
  return out;
}

export const CROSSCHECK_SHAPES: CaptureDefinition = {
  file: 'crosscheck-shapes.pcapng',
  title: 'What a cross-check against tshark turned up: a damaged ClientHello, padded DNS on 443, an IPv6 segment-routed flow, Cisco HDLC under DLT_PPP, IPoIB',
  holds: [
    'pcapng, three interfaces: IDB 0 `eth0` Ethernet, IDB 1 `serial0` LINKTYPE_PPP (9) whose frames are Cisco HDLC (address 0x0f), ' +
    'IDB 2 `ib0` LINKTYPE_IPOIB (242).',
    'On eth0:',
    '1. TLS from 192.0.2.10:50100 to 198.51.100.70:443 whose ClientHello (one record, SNI `damaged.example.com` near its start) has its ' +
    'last extension (a GREASE one) declare 20,422 bytes where 1 is left: tshark shows the SNI and "Malformed Packet" (nDPI names ' +
    'its tls_invalid_reads trace, damaged the same way, by its SNI too). ' +
    'Named `damaged.example.com` by SNI; anomaly `tls.malformed_client_hello`.',
    '2. UDP from 192.0.2.10:41000 to 203.0.113.53:443: a DNSCrypt v1 certificate query (TXT `2.dnscrypt-cert.resolver.example`, one ' +
    'additional record of TYPE 0, zero-padded to 512 bytes) and its TXT answer. tshark\'s DNS heuristic decodes both; `app: dns`.',
    '3. UDP from [2001:db8::10]:42000 to [2001:db8:ff::1] with a Segment Routing Header (Segment List [2001:db8:5::123, 2001:db8:ff::1], ' +
    'segments left 1) to port 123, and the answer from [2001:db8:5::123]:123 straight back: one flow with the final destination, ' +
    'as tshark shows it.',
    'On serial0: an HTTP GET with `Host: serial.example.net` from 192.0.2.10:50200 to 198.51.100.71:80, handshake and FIN teardown.',
    'On ib0: `ib.example.org A` from 192.0.2.10:41500 to the resolver 192.0.2.1 (→ 198.51.100.72).',
  ],
  builder: 'CROSSCHECK_SHAPES in test/gen/captures/crosscheck.ts',
  tshark: [{
    args: ['-T', 'fields', '-e', 'frame.interface_id', '-e', '_ws.col.Destination', '-e', 'tls.handshake.extensions_server_name', '-e', 'dns.qry.name', '-e', 'http.host',
      '-Y', 'tls.handshake.type == 1 || dns.flags.response == 0 || http.request || ipv6.routing'],
    output: '0\t198.51.100.70\tdamaged.example.com\t\t\n0\t203.0.113.53\t\t2.dnscrypt-cert.resolver.example\t\n0\t2001:db8:5::123\t\t\t\n' +
      '1\t198.51.100.71\t\t\tserial.example.net\n2\t192.0.2.1\t\tib.example.org\t\n',
  }],
  build() {
    const b = new CaptureBuilder([
      { kind: 'ethernet' },
      { kind: 'wrapped', wrap: (packet) => ciscoHdlc(packet) },
      { kind: 'wrapped', wrap: (packet) => ipoib(packet) },
    ], [DEVICE_V4, DEVICE_V6]);

    // 1. A ClientHello whose last extension runs past the message.
    const built = tlsClientHello({ seed: this.file, serverName: 'damaged.example.com', alpn: ['h2', 'http/1.1'] });
    const last = built.extensionOffsets.get(GREASE_B);
    // The builder's Chrome order ends with a GREASE extension of one byte.
    if (last === undefined || last.end !== built.record.length) throw new Error('the GREASE extension is no longer last');
    const hello = Uint8Array.from(built.record);
    hello.set([0x4f, 0xc6], last.start + 2);
    const tls = new TcpScript(b, 0, device(50100), remote('198.51.100.70', 443), { clientIsn: 0x50100001, serverIsn: 0x0a0b0c0d, rttMs: 18 });
    tlsSession(tls, T0 + ms(5), hello, this.file, [{ atMs: 200, request: 180, response: 900 }]);

    // 2. A DNSCrypt v1 certificate query on UDP 443, padded, and its TXT answer.
    const certQuery: DnsMessageSpec = { id: 0x0762, response: false, questions: [{ name: '2.dnscrypt-cert.resolver.example', type: DNS_TYPE_TXT }] };
    const certAnswer: DnsMessageSpec = {
      ...certQuery, response: true,
      answers: [{ name: '2.dnscrypt-cert.resolver.example', type: DNS_TYPE_TXT, ttl: 600, data: 'DNSC-cert-placeholder' }],
    };
    const padded = new Uint8Array(512);
    const q = dnsMessage(certQuery);
    padded.set(q);
    padded[11] = 1; // ARCOUNT 1: root owner, TYPE 0, CLASS 0, TTL 0, RDLENGTH 1, one byte
    padded.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xc3], q.length);
    const crypt = new UdpScript(b, 0, device(41000), remote('203.0.113.53', 443));
    const tq = T0 + ms(600);
    crypt.send('c2s', tq, padded);
    crypt.send('s2c', tq + ms(21), dnsMessage(certAnswer));

    // 3. UDP behind a Segment Routing Header; the answer comes straight back.
    const finalDst = remote('2001:db8:5::123', 123);
    const srv6 = new UdpScript(b, 0, device(42000, DEVICE_V6), finalDst);
    const waypoint = { ip: '2001:db8:ff::1', mac: finalDst.mac };
    const ntpRequest = new Uint8Array(48);
    ntpRequest[0] = 0x23; // NTP v4, client
    const srh = Uint8Array.from([
      17, 4, 4, 1, 1, 0, 0, 0, // next header UDP, Hdr Ext Len 4 (two segments), type 4, segments left 1, last entry 1
      ...ipBytes('2001:db8:5::123'), ...ipBytes('2001:db8:ff::1'),
    ]);
    const l4 = udp(42000, 123, ntpRequest, DEVICE_V6, finalDst.ip);
    const routed = ipv6({ src: DEVICE_V6, dst: waypoint.ip, nextHeader: IPPROTO_ROUTING, hopLimit: 64 }, Uint8Array.from([...srh, ...l4]));
    const t3 = T0 + ms(900);
    srv6.emitFramed(t3, DEVICE_V6, b.frameIp(0, device(42000, DEVICE_V6), waypoint, routed));
    const ntpReply = new Uint8Array(48);
    ntpReply[0] = 0x24; // NTP v4, server
    srv6.send('s2c', t3 + ms(30), ntpReply);

    // On serial0: HTTP in Cisco HDLC frames.
    const http = new TcpScript(b, 1, device(50200), remote('198.51.100.71', 80), { clientIsn: 0x50200002, serverIsn: 0x12345678, rttMs: 25 });
    let t = http.handshake(T0 + ms(1200));
    t = http.exchange(t + ms(0.3), httpRequest('GET', '/config', [['Host', 'serial.example.net'], ['Accept', '*/*']]),
      httpResponse(200, 'OK', [['Content-Type', 'text/plain']], 'ok\n'));
    http.close(t + ms(10));

    // On ib0: a DNS lookup.
    const q5: DnsMessageSpec = { id: 0x1b05, response: false, questions: [{ name: 'ib.example.org', type: DNS_TYPE_A }] };
    const lookup = udpDnsLookup(b, 2, device(41500), RESOLVER, T0 + ms(1500), q5,
      { ...q5, response: true, answers: [{ name: 'ib.example.org', type: DNS_TYPE_A, ttl: 300, data: '198.51.100.72' }] });

    const records = b.records();
    return {
      bytes: serializePcapng(records, [
        { linkType: LINKTYPE_ETHERNET, tsresol: 6, name: 'eth0' },
        { linkType: LINKTYPE_PPP, tsresol: 6, name: 'serial0' },
        { linkType: LINKTYPE_IPOIB, tsresol: 6, name: 'ib0' },
      ]),
      records: records.length,
      expect: {
        file: this.file, args: DEVICE_ARGS, exit_code: 0,
        summary: summaryOf(records, { format: 'pcapng', link_types: ['EN10MB', 'PPP', 'IPOIB'] }, 5, 2),
        flows: [
          tls.expect({
            why: 'the SNI before the damaged extension names the flow; the damage is counted', app: 'tls', sni: 'damaged.example.com',
            name: 'damaged.example.com', name_source: 'sni', alpn: ['h2', 'http/1.1'], syn_seen: true, anomalies: ['tls.malformed_client_hello'],
          }),
          crypt.expect({ why: 'a padded standard query on a non-DNS port is DNS, as tshark\'s heuristic takes it', app: 'dns', dns_names: ['2.dnscrypt-cert.resolver.example'] }),
          srv6.expect({ why: 'the Segment Routing Header\'s Segment List[0] is the destination', app: 'ntp' }),
          http.expect({ why: 'Cisco HDLC frames under DLT_PPP', app: 'http', http_host: 'serial.example.net', name: 'serial.example.net', name_source: 'http-host', syn_seen: true }),
          lookup.flow.expect({ why: 'IP over InfiniBand', app: 'dns', dns_names: ['ib.example.org'] }),
        ],
        dns: [...expectDns(crypt, tq, certQuery, certAnswer), ...lookup.dns],
      },
    };
  },
};

/** The 16 bytes of an IPv6 address. */
function ipBytes(a: string): number[] {
  const p = ipv6({ src: a, dst: a, nextHeader: 59, hopLimit: 0 }, new Uint8Array(0));
  return [...p.subarray(8, 24)];
}

