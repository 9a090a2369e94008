/**
 * DTLS ClientHellos as devices send them: CoAP over DTLS 1.2 with the HelloVerifyRequest cookie
 * exchange (LwM2M), a post-quantum DTLS 1.3 hello cut into fragments that arrive out of order
 * (a VPN data channel on UDP 443), DTLS 1.0, a hello over IPv6, a peer-to-peer hello without
 * SNI, and a fragmented hello whose middle piece was lost.
 *
 * Test tooling only: every header is written from RFC 6347 / RFC 9147; names are example.*
 * (RFC 2606), addresses from RFC 5737 / RFC 3849.
 */
import { TLS_GROUP_X25519, TLS_GROUP_X25519MLKEM768, dtlsClientHelloBody, dtlsHandshakeDatagrams, dtlsHelloVerifyRequest, pseudoRandomBytes } from '../packets';
import type { FlowExpectation } from '../expectation';
import { CaptureBuilder, UdpScript, ms } from '../scenario';
import { CaptureDefinition, ethernetPcap, DEVICE_V4, DEVICE_V6, T0, device, remote } from './common';
import { ByteWriter } from '../bytes';

const CLIENT_HELLO = 1;
const SERVER_HELLO = 2;
const HELLO_VERIFY_REQUEST = 3;

/** A DTLS record of `type` (23: application data) in epoch 1, its payload pseudo-random. */
function protectedRecord(seed: string, seq: number, length: number): Uint8Array {
  return new ByteWriter().u8(23).u16(0xfefd).u16(1).u16(0).u32(seq).u16(length).bytes(pseudoRandomBytes(seed, length)).toBytes();
}

/** The server's first flight, reduced to a ServerHello record (its content is never read). */
function serverHello(seed: string, messageSeq: number): Uint8Array {
  const body = new ByteWriter().u16(0xfefd).bytes(pseudoRandomBytes(`${seed}/server_random`, 32)).u8(0).u16(0xc02b).u8(0).u16(0).toBytes();
  return dtlsHandshakeDatagrams(SERVER_HELLO, body, { messageSeq, recordSeq: messageSeq })[0];
}

export const DTLS_CLIENT_HELLOS: CaptureDefinition = {
  file: 'dtls-client-hellos.pcap',
  title: 'DTLS ClientHellos: CoAP over DTLS 1.2 with a cookie exchange, a fragmented post-quantum DTLS 1.3 hello out of order, DTLS 1.0, IPv6, no SNI, a lost fragment',
  holds: [
    'Ethernet, classic pcap, six UDP flows from the device (192.0.2.10, 2001:db8::10), each opened by a DTLS ClientHello. A flow whose hello is whole is ' +
    '`app` `dtls` and named by its SNI (`name_source` `sni`); fragments are put together by their offsets, as the receiver does (RFC 6347 §4.2.3).',
    '1. 198.51.100.84:5684 (CoAP over DTLS, an LwM2M server): ClientHello, HelloVerifyRequest with a 20-byte cookie, the ClientHello again with the cookie ' +
    '(message_seq 1), ServerHello, then application data both ways. SNI `lwm2m.example.com`.',
    '2. 203.0.113.43:443 (a VPN data channel): a DTLS 1.3 hello offering X25519MLKEM768 (1.4 KB) cut into three 500-byte fragments, each in its own datagram, ' +
    'sent third, first, second. SNI `vpn.example.net`; `key_share_groups` include 4588.',
    '3. 198.51.100.85:4433: DTLS 1.0 (record and hello version 0xfeff). SNI `legacy.example.org`.',
    '4. [2001:db8:5::84]:5684: CoAP over DTLS 1.2 over IPv6. SNI `v6.lwm2m.example.com`.',
    '5. 203.0.113.90:50000: a peer-to-peer DTLS 1.2 hello with no server_name (WebRTC peers send none): `dtls`, unnamed, `unnamed_reason` `tls-no-sni`.',
    '6. 203.0.113.44:443: a fragmented DTLS 1.3 hello whose middle fragment never arrives: `dtls`, unnamed, `unnamed_reason` `tls-hello-incomplete`.',
    'tshark 4.0.17 finds every hello (on 443 and 50000 by its heuristic) and reports the same server names for flows 1 (both hellos), 3, 4 and 5 (none); ' +
    'it shows flow 2\'s three fragments, sent out of order, without a server name, and flow 6\'s two without one.',
  ],
  builder: 'DTLS_CLIENT_HELLOS in test/gen/captures/dtls.ts',
  tshark: [{
    args: ['-Y', 'dtls.handshake.type == 1', '-T', 'fields', '-e', 'udp.dstport', '-e', 'dtls.handshake.extensions_server_name'],
    output: '5684\tlwm2m.example.com\n5684\tlwm2m.example.com\n443\t\n443\t\n443\t\n4433\tlegacy.example.org\n5684\tv6.lwm2m.example.com\n50000\t\n443\t\n443\t\n',
  }],
  build() {
    const b = new CaptureBuilder([{ kind: 'ethernet' }], [DEVICE_V4, DEVICE_V6]);
    const flows: FlowExpectation[] = [];
    const seed = (what: string): string => `${this.file}/${what}`;

    // 1. CoAP over DTLS 1.2 with the cookie exchange.
    {
      const f = new UdpScript(b, 0, device(50684), remote('198.51.100.84', 5684));
      const cookie = pseudoRandomBytes(seed('cookie'), 20);
      let t = T0 + ms(1);
      f.send('c2s', t, dtlsHandshakeDatagrams(CLIENT_HELLO, dtlsClientHelloBody({ seed: seed('coap'), serverName: 'lwm2m.example.com' }), { messageSeq: 0, recordSeq: 0 })[0]);
      f.send('s2c', t += ms(31), dtlsHandshakeDatagrams(HELLO_VERIFY_REQUEST, dtlsHelloVerifyRequest(cookie), { messageSeq: 0, recordSeq: 0 })[0]);
      f.send('c2s', t += ms(0.4), dtlsHandshakeDatagrams(CLIENT_HELLO, dtlsClientHelloBody({ seed: seed('coap'), serverName: 'lwm2m.example.com', cookie }), { messageSeq: 1, recordSeq: 1 })[0]);
      f.send('s2c', t += ms(31), serverHello(seed('coap'), 1));
      f.send('c2s', t += ms(5), protectedRecord(seed('coap/req'), 1, 48));
      f.send('s2c', t += ms(31), protectedRecord(seed('coap/resp'), 1, 96));
      flows.push(f.expect({ why: 'CoAP over DTLS 1.2, named by the SNI of its hellos', app: 'dtls', sni: 'lwm2m.example.com', name: 'lwm2m.example.com', name_source: 'sni' }));
    }
    // 2. A post-quantum DTLS 1.3 hello in three fragments, out of order.
    {
      const f = new UdpScript(b, 0, device(40443), remote('203.0.113.43', 443));
      const body = dtlsClientHelloBody({ seed: seed('vpn'), serverName: 'vpn.example.net', dtls13: { keyShareGroups: [TLS_GROUP_X25519MLKEM768, TLS_GROUP_X25519] } });
      const frags = dtlsHandshakeDatagrams(CLIENT_HELLO, body, { messageSeq: 0, recordSeq: 0, fragment: 500 });
      if (frags.length !== 3) throw new Error(`expected 3 fragments, got ${frags.length}`);
      let t = T0 + ms(500);
      for (const i of [2, 0, 1]) f.send('c2s', t += ms(0.1), frags[i]);
      f.send('s2c', t += ms(22), serverHello(seed('vpn'), 0));
      f.send('c2s', t += ms(3), protectedRecord(seed('vpn/data'), 1, 120));
      flows.push(f.expect({
        why: 'DTLS 1.3 hello in out-of-order fragments, put together', app: 'dtls', sni: 'vpn.example.net', name: 'vpn.example.net', name_source: 'sni',
        key_share_groups_include: [TLS_GROUP_X25519MLKEM768],
      }));
    }
    // 3. DTLS 1.0.
    {
      const f = new UdpScript(b, 0, device(40433), remote('198.51.100.85', 4433));
      const body = dtlsClientHelloBody({ seed: seed('dtls10'), serverName: 'legacy.example.org' });
      body[0] = 0xfe; body[1] = 0xff; // client_version DTLS 1.0
      const t = T0 + ms(1000);
      f.send('c2s', t, dtlsHandshakeDatagrams(CLIENT_HELLO, body, { messageSeq: 0, recordSeq: 0, recordVersion: 0xfeff })[0]);
      f.send('s2c', t + ms(12), serverHello(seed('dtls10'), 0));
      flows.push(f.expect({ why: 'DTLS 1.0 hello', app: 'dtls', sni: 'legacy.example.org', name: 'legacy.example.org', name_source: 'sni' }));
    }
    // 4. IPv6.
    {
      const f = new UdpScript(b, 0, device(50685, DEVICE_V6), remote('2001:db8:5::84', 5684));
      const t = T0 + ms(1500);
      f.send('c2s', t, dtlsHandshakeDatagrams(CLIENT_HELLO, dtlsClientHelloBody({ seed: seed('v6'), serverName: 'v6.lwm2m.example.com' }), { messageSeq: 0, recordSeq: 0 })[0]);
      f.send('s2c', t + ms(40), serverHello(seed('v6'), 0));
      flows.push(f.expect({ why: 'CoAP over DTLS over IPv6', app: 'dtls', sni: 'v6.lwm2m.example.com', name: 'v6.lwm2m.example.com', name_source: 'sni' }));
    }
    // 5. No SNI.
    {
      const f = new UdpScript(b, 0, device(50000), remote('203.0.113.90', 50000));
      const t = T0 + ms(2000);
      f.send('c2s', t, dtlsHandshakeDatagrams(CLIENT_HELLO, dtlsClientHelloBody({ seed: seed('p2p'), serverName: null }), { messageSeq: 0, recordSeq: 0 })[0]);
      f.send('s2c', t + ms(18), serverHello(seed('p2p'), 0));
      flows.push(f.expect({ why: 'a hello without server_name', app: 'dtls', sni: null, name: null, unnamed_reason: 'tls-no-sni' }));
    }
    // 6. A lost middle fragment.
    {
      const f = new UdpScript(b, 0, device(40444), remote('203.0.113.44', 443));
      const body = dtlsClientHelloBody({ seed: seed('lost'), serverName: 'lost.example.net', dtls13: { keyShareGroups: [TLS_GROUP_X25519MLKEM768] } });
      const frags = dtlsHandshakeDatagrams(CLIENT_HELLO, body, { messageSeq: 0, recordSeq: 0, fragment: 500 });
      const t = T0 + ms(2500);
      f.send('c2s', t, frags[0]);
      f.send('c2s', t + ms(0.1), frags[2]);
      flows.push(f.expect({ why: 'the hello never completes: its middle fragment is missing', app: 'dtls', sni: null, name: null, unnamed_reason: 'tls-hello-incomplete' }));
    }

    return ethernetPcap(this.file, b.records(), flows);
  },
};
