/**
 * TLS that starts after a plaintext preamble on the same connection: the STARTTLS family (SMTP,
 * IMAP, POP3, FTP, XMPP, LDAP), PostgreSQL's SSLRequest, MySQL's SSL request, RDP, a SOCKS 5
 * CONNECT, and an SMTP server that refuses STARTTLS. Each dialogue follows its RFC's wording
 * for the client and server lines; the ClientHello after the upgrade carries the SNI the flow
 * must be named by.
 *
 * Test tooling only: names are example.* (RFC 2606), addresses from RFC 5737.
 */
import { TLS_GROUP_X25519, concat, tlsClientHello } from '../packets';
import { CaptureBuilder, Dir, TcpScript, ms } from '../scenario';
import type { FlowExpectation } from '../expectation';
import { CaptureDefinition, ethernetPcap, DEVICE_V4, DEVICE_V6, T0, device, finishTlsSession, remote } from './common';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** One upgrade dialogue: what each side says in the clear, in order, before the client's TLS. */
interface Dialogue {
  app: string;
  port: number;
  server: string;
  sni: string;
  steps: ReadonlyArray<readonly [Dir, Uint8Array]>;
  /** What the sidecar says about it. */
  note: string;
}

/** LDAPMessage { messageID 1, extendedReq { requestName "1.3.6.1.4.1.1466.20037" } } (RFC 4511 §4.14.1). */
function ldapStartTlsRequest(): Uint8Array {
  const oid = text('1.3.6.1.4.1.1466.20037');
  const ext = concat([Uint8Array.of(0x77, oid.length + 2, 0x80, oid.length), oid]);
  const body = concat([Uint8Array.of(0x02, 0x01, 0x01), ext]);
  return concat([Uint8Array.of(0x30, body.length), body]);
}

/** LDAPMessage { messageID 1, extendedResp { resultCode success, matchedDN "", diagnosticMessage "" } }. */
function ldapStartTlsResponse(): Uint8Array {
  const resp = Uint8Array.of(0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00);
  const body = concat([Uint8Array.of(0x02, 0x01, 0x01), resp]);
  return concat([Uint8Array.of(0x30, body.length), body]);
}

/** A MySQL 8 server greeting (Protocol::HandshakeV10), sequence 0. */
function mysqlGreeting(): Uint8Array {
  const payload = concat([
    Uint8Array.of(10), text('8.0.36\0'), Uint8Array.of(0x2a, 0, 0, 0), text('abcdefgh'), Uint8Array.of(0),
    Uint8Array.of(0xff, 0xff), Uint8Array.of(0xff), Uint8Array.of(0x02, 0x00), Uint8Array.of(0xff, 0xdf), Uint8Array.of(21),
    new Uint8Array(10), text('ijklmnopqrst\0'), text('caching_sha2_password\0'),
  ]);
  return concat([Uint8Array.of(payload.length & 0xff, payload.length >> 8, 0, 0), payload]);
}

/** Protocol::SSLRequest: capabilities with CLIENT_SSL and CLIENT_PROTOCOL_41, max packet, charset, 23 zero bytes; sequence 1. */
function mysqlSslRequest(): Uint8Array {
  const caps = 0x0000_0800 | 0x0000_0200 | 0x0000_8000 | 0x0008_0000 | 0x0000_0008; // SSL, PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH, CONNECT_WITH_DB
  const payload = new Uint8Array(32);
  new DataView(payload.buffer).setUint32(0, caps, true);
  new DataView(payload.buffer).setUint32(4, 16 * 1024 * 1024, true);
  payload[8] = 255; // utf8mb4_0900_ai_ci
  return concat([Uint8Array.of(32, 0, 0, 1), payload]);
}

/** RDP: TPKT + X.224 Connection Request with a cookie and an RDP_NEG_REQ asking for TLS and CredSSP (MS-RDPBCGR §2.2.1.1). */
function rdpConnectionRequest(): Uint8Array {
  const body = concat([Uint8Array.of(0xe0, 0, 0, 0, 0, 0), text('Cookie: mstshash=device\r\n'), Uint8Array.of(0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00)]);
  const total = 4 + 1 + body.length;
  return concat([Uint8Array.of(3, 0, total >> 8, total & 0xff, body.length), body]);
}

/** RDP: the Connection Confirm with an RDP_NEG_RSP selecting CredSSP (PROTOCOL_HYBRID). */
const RDP_CONNECTION_CONFIRM = Uint8Array.of(3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 0x02, 0x1f, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00);

const DIALOGUES: readonly Dialogue[] = [
  {
    app: 'smtp', port: 587, server: '198.51.100.25', sni: 'mail.example.com',
    note: 'SMTP submission (RFC 3207): banner, `EHLO`, the 250 reply listing STARTTLS, `STARTTLS`, `220 Ready to start TLS`',
    steps: [
      ['s2c', text('220 mail.example.com ESMTP ready\r\n')],
      ['c2s', text('EHLO device.example.com\r\n')],
      ['s2c', text('250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 35882577\r\n250-STARTTLS\r\n250 8BITMIME\r\n')],
      ['c2s', text('STARTTLS\r\n')],
      ['s2c', text('220 2.0.0 Ready to start TLS\r\n')],
    ],
  },
  {
    app: 'imap', port: 143, server: '198.51.100.143', sni: 'imap.example.org',
    note: 'IMAP (RFC 9051 §6.2.1): greeting, `a001 CAPABILITY`, `a002 STARTTLS`, `a002 OK Begin TLS negotiation now`',
    steps: [
      ['s2c', text('* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] imap.example.org ready\r\n')],
      ['c2s', text('a001 CAPABILITY\r\n')],
      ['s2c', text('* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na001 OK CAPABILITY completed\r\n')],
      ['c2s', text('a002 STARTTLS\r\n')],
      ['s2c', text('a002 OK Begin TLS negotiation now\r\n')],
    ],
  },
  {
    app: 'pop3', port: 110, server: '198.51.100.110', sni: 'pop.example.net',
    note: 'POP3 (RFC 2595 §4): greeting, `CAPA`, `STLS`, `+OK Begin TLS negotiation`',
    steps: [
      ['s2c', text('+OK POP3 server ready\r\n')],
      ['c2s', text('CAPA\r\n')],
      ['s2c', text('+OK Capability list follows\r\nUSER\r\nSTLS\r\n.\r\n')],
      ['c2s', text('STLS\r\n')],
      ['s2c', text('+OK Begin TLS negotiation\r\n')],
    ],
  },
  {
    app: 'ftp', port: 21, server: '198.51.100.21', sni: 'ftp.example.com',
    note: 'FTP (RFC 4217 §4): banner, `AUTH TLS`, `234 AUTH TLS successful`',
    steps: [
      ['s2c', text('220 ftp.example.com FTP server ready\r\n')],
      ['c2s', text('AUTH TLS\r\n')],
      ['s2c', text('234 AUTH TLS successful\r\n')],
    ],
  },
  {
    app: 'xmpp', port: 5222, server: '198.51.100.52', sni: 'xmpp.example.org',
    note: 'XMPP (RFC 6120 §5.4): the stream header, stream features offering STARTTLS, `<starttls/>`, `<proceed/>`',
    steps: [
      ['c2s', text("<?xml version='1.0'?><stream:stream to='xmpp.example.org' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")],
      ['s2c', text("<?xml version='1.0'?><stream:stream from='xmpp.example.org' id='c2s_1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" +
        "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>")],
      ['c2s', text("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")],
      ['s2c', text("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")],
    ],
  },
  {
    app: 'ldap', port: 389, server: '198.51.100.89', sni: 'ldap.example.com',
    note: 'LDAP (RFC 4511 §4.14): the StartTLS extended request (OID 1.3.6.1.4.1.1466.20037) and its success response',
    steps: [
      ['c2s', ldapStartTlsRequest()],
      ['s2c', ldapStartTlsResponse()],
    ],
  },
  {
    app: 'postgresql', port: 5432, server: '198.51.100.54', sni: 'db.example.net',
    note: "PostgreSQL: the 8-byte SSLRequest (code 80877103) and the server's `S`",
    steps: [
      ['c2s', Uint8Array.of(0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f)],
      ['s2c', text('S')],
    ],
  },
  {
    app: 'mysql', port: 3306, server: '198.51.100.33', sni: 'mysql.example.net',
    note: 'MySQL: the server greeting (HandshakeV10), then the client\'s 32-byte SSLRequest with CLIENT_SSL',
    steps: [
      ['s2c', mysqlGreeting()],
      ['c2s', mysqlSslRequest()],
    ],
  },
  {
    app: 'rdp', port: 3389, server: '198.51.100.39', sni: 'rdp.example.com',
    note: "RDP (MS-RDPBCGR §1.3.1.1): the X.224 Connection Request with a cookie and RDP_NEG_REQ asking for TLS and CredSSP, the server's Connection Confirm selecting CredSSP",
    steps: [
      ['c2s', rdpConnectionRequest()],
      ['s2c', RDP_CONNECTION_CONFIRM],
    ],
  },
  {
    app: 'socks', port: 1080, server: '198.51.100.80', sni: 'api.example.com',
    note: 'SOCKS 5 (RFC 1928): greeting offering no authentication, the method reply, CONNECT to the domain api.example.com port 443, the success reply; then TLS through the tunnel (the host in the CONNECT is a `socks-host` candidate too)',
    steps: [
      ['c2s', Uint8Array.of(0x05, 0x01, 0x00)],
      ['s2c', Uint8Array.of(0x05, 0x00)],
      ['c2s', concat([Uint8Array.of(0x05, 0x01, 0x00, 0x03, 15), text('api.example.com'), Uint8Array.of(0x01, 0xbb)])],
      ['s2c', Uint8Array.of(0x05, 0x00, 0x00, 0x01, 198, 51, 100, 80, 0x04, 0x38)],
    ],
  },
];

/** Plays the plaintext steps from `t`; returns the time after the last one. */
function play(tcp: TcpScript, t: bigint, steps: Dialogue['steps']): bigint {
  for (const [dir, data] of steps) t = tcp.send(dir, t + (dir === 's2c' ? tcp.rtt : ms(0.4)), data) + ms(0.2);
  return t;
}

/** STARTTLS and the other ways TLS begins after plaintext, plus one refused STARTTLS. */
export const STARTTLS_AND_PROXY_TUNNELS: CaptureDefinition = {
  file: 'starttls-and-proxy-tunnels.pcap',
  title: 'TLS after a plaintext preamble: STARTTLS (SMTP, IMAP, POP3, FTP, XMPP, LDAP), PostgreSQL and MySQL SSL requests, RDP, a SOCKS 5 CONNECT, and a refused STARTTLS',
  holds: [
    'Ethernet, classic pcap, eleven TCP connections from 192.0.2.10, each with handshake and FIN teardown. In the first ten the client asks to ' +
    'switch the connection to TLS and then sends a ClientHello (X25519, ALPN absent) with the SNI listed; the flow keeps the plaintext protocol as its `app` ' +
    'and is named by that SNI (`name_source` `sni`):',
    ...DIALOGUES.map((d, i) => `${i + 1}. ${d.server}:${d.port}, \`${d.app}\`, SNI \`${d.sni}\`: ${d.note}.`),
    'tshark 4.0.17 reports the same server names for all of them but RDP: it shows the TLS records after the Connection Confirm as "TPKT Continuation" ' +
    '(Zeek\'s RDP analyzer hands them to its TLS analyzer, as egress-audit does).',
    '11. 198.51.100.26:25, `smtp`, no name: the server answers `STARTTLS` with `454 4.7.0 TLS not available` and the client goes on in the clear ' +
    '(`MAIL FROM`, `QUIT`), so what follows the upgrade request is no ClientHello.',
  ],
  builder: 'STARTTLS_AND_PROXY_TUNNELS in test/gen/captures/starttls.ts',
  tshark: [{
    args: ['-Y', 'tls.handshake.type == 1', '-T', 'fields', '-e', 'tcp.dstport', '-e', 'tls.handshake.extensions_server_name'],
    output: '587\tmail.example.com\n143\timap.example.org\n110\tpop.example.net\n21\tftp.example.com\n5222\txmpp.example.org\n389\tldap.example.com\n5432\tdb.example.net\n3306\tmysql.example.net\n1080\tapi.example.com\n',
  }],
  build() {
    const b = new CaptureBuilder([{ kind: 'ethernet' }], [DEVICE_V4, DEVICE_V6]);
    const flows: FlowExpectation[] = [];
    DIALOGUES.forEach((d, i) => {
      const start = T0 + ms(1 + 500 * i);
      const tcp = new TcpScript(b, 0, device(47001 + i), remote(d.server, d.port), { clientIsn: 0x1000_0000 + i * 0x01010101, serverIsn: 0x7000_0000 - i * 0x00f0f0f1, rttMs: 4 });
      let t = play(tcp, tcp.handshake(start), d.steps);
      const hello = tlsClientHello({ seed: `${this.file}/${d.app}`, serverName: d.sni, keyShareGroups: [TLS_GROUP_X25519] }).record;
      t = tcp.send('c2s', t + ms(0.3), hello);
      finishTlsSession(tcp, start, t, `${this.file}/${d.app}`, [{ atMs: 300, request: 120, response: 400 }]);
      const socks = d.app === 'socks' ? { names_include: [{ name: 'api.example.com', source: 'socks-host' as const }] } : {};
      flows.push(tcp.expect({ why: `${d.app} upgraded to TLS`, app: d.app, sni: d.sni, name: d.sni, name_source: 'sni', syn_seen: true, ...socks }));
    });

    const refused = new TcpScript(b, 0, device(47020), remote('198.51.100.26', 25), { clientIsn: 0x2222_0000, serverIsn: 0x5555_0000, rttMs: 4 });
    const t = play(refused, refused.handshake(T0 + ms(5000)), [
      ['s2c', text('220 relay.example.com ESMTP\r\n')],
      ['c2s', text('EHLO device.example.com\r\n')],
      ['s2c', text('250-relay.example.com\r\n250 STARTTLS\r\n')],
      ['c2s', text('STARTTLS\r\n')],
      ['s2c', text('454 4.7.0 TLS not available due to temporary reason\r\n')],
      ['c2s', text('MAIL FROM:<device@example.com>\r\n')],
      ['s2c', text('250 2.1.0 Ok\r\n')],
      ['c2s', text('QUIT\r\n')],
      ['s2c', text('221 2.0.0 Bye\r\n')],
    ]);
    refused.close(t + ms(1), 's2c');
    flows.push(refused.expect({ why: 'STARTTLS refused: plaintext follows, nothing to name the flow', app: 'smtp', sni: null, name: null, syn_seen: true }));

    return ethernetPcap(this.file, b.records(), flows);
  },
};
