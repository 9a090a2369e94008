/**
 * VPN tunnels a device may open, by their first messages: WireGuard on its port and on UDP 443,
 * IKEv2 (IKE_SA_INIT on 500, then IKE_AUTH and ESP behind UDP encapsulation on 4500), IKEv1
 * aggressive mode, OpenVPN over UDP on 1194 and over TCP on 443 with tls-auth; and two
 * datagrams that only look like them.
 *
 * Test tooling only: messages written from the WireGuard whitepaper §5.4, RFC 7296 / RFC 2408 /
 * RFC 3948, and OpenVPN's wire format (ssl_pkt.h); addresses from RFC 5737.
 */
import { concat, ikeMessage, openvpnHardReset, pseudoRandomBytes, wireguardMessage } from '../packets';
import type { FlowExpectation } from '../expectation';
import { CaptureBuilder, TcpScript, UdpScript, ms } from '../scenario';
import { CaptureDefinition, ethernetPcap, DEVICE_V4, DEVICE_V6, T0, device, remote } from './common';

const IKE_SA_INIT = 34;
const IKE_AUTH = 35;
const IKEV1_AGGRESSIVE = 4;
const IKE_FLAG_INITIATOR = 0x08;
const IKE_FLAG_RESPONSE = 0x20;

export const VPN_TUNNELS: CaptureDefinition = {
  file: 'vpn-tunnels.pcap',
  title: 'VPN tunnels by their first messages: WireGuard (51820 and 443), IKEv2 with NAT traversal, IKEv1, OpenVPN over UDP 1194 and TCP 443; two look-alikes',
  holds: [
    'Ethernet, classic pcap, from the device 192.0.2.10. Each tunnel is recognised from the first message of its flow (`app`); none carries a name.',
    '1. 203.0.113.51:51820: a WireGuard handshake initiation (148 bytes), its response (92), transport data both ways: `wireguard`.',
    '2. 203.0.113.52:443: a WireGuard initiation and response on UDP 443 (a tunnel dressed as HTTP/3): `wireguard`; a policy reports it as a protocol mismatch.',
    '3. 198.51.100.60:500, from port 500: IKEv2 IKE_SA_INIT request and response: `ike`.',
    '4. 198.51.100.60:4500, from port 4500: IKE_AUTH behind the 4-byte non-ESP marker (RFC 3948), then ESP in UDP both ways: `ike`.',
    '5. 198.51.100.61:500, from port 500: an IKEv1 aggressive-mode message: `ike`.',
    '6. 203.0.113.94:1194: OpenVPN over UDP, the client\'s 14-byte hard reset and the server\'s: `openvpn`.',
    '7. 203.0.113.94:443: OpenVPN over TCP with tls-auth (HMAC-SHA1), the 2 + 42-byte hard reset (as OpenVPN 2.6 sends it) and the server\'s: `openvpn`.',
    '8. 203.0.113.53:51820: a 148-byte datagram whose "reserved" bytes are not zero: not WireGuard, `app` null.',
    '9. 203.0.113.95:5000: a 14-byte datagram opening with OpenVPN\'s reset opcode whose last five bytes are not an empty ACK array and packet id 0: `app` null.',
    'tshark 4.0.17 agrees on flows 1–6 (WireGuard, also on 443 by its heuristic; ISAKMP and ESP; OpenVPN) and on flow 9 (plain UDP), and differs on two: ' +
    'it shows flow 7 as TLS ("SSL", by the port, as it shows a real OpenVPN 2.6 client with tls-auth on 443), and flow 8 as WireGuard (on 51820 it ' +
    'decodes by port, without the reserved-bytes check of its heuristic).',
  ],
  builder: 'VPN_TUNNELS in test/gen/captures/vpn.ts',
  tshark: [{
    args: ['-T', 'fields', '-e', 'udp.dstport', '-e', 'tcp.dstport', '-e', '_ws.col.Protocol'],
    output: '51820\t\tWireGuard\n51821\t\tWireGuard\n51820\t\tWireGuard\n51821\t\tWireGuard\n443\t\tWireGuard\n51822\t\tWireGuard\n500\t\tISAKMP\n500\t\tISAKMP\n4500\t\tISAKMP\n4500\t\tISAKMP\n4500\t\tESP\n4500\t\tESP\n500\t\tISAKMP\n1194\t\tOpenVPN\n41194\t\tOpenVPN\n\t443\tTCP\n\t47443\tTCP\n\t443\tTCP\n\t443\tSSL\n\t47443\tSSL\n\t443\tTCP\n\t47443\tTCP\n\t443\tTCP\n51820\t\tWireGuard\n5000\t\tUDP\n',
  }],
  build() {
    const b = new CaptureBuilder([{ kind: 'ethernet' }], [DEVICE_V4, DEVICE_V6]);
    const flows: FlowExpectation[] = [];
    const seed = (what: string): string => `${this.file}/${what}`;

    // 1–2. WireGuard, on its port and on 443.
    for (const [i, server, port] of [[0, '203.0.113.51', 51820], [1, '203.0.113.52', 443]] as const) {
      const f = new UdpScript(b, 0, device(51820 + i + 1), remote(server, port));
      let t = T0 + ms(1 + 200 * i);
      f.send('c2s', t, wireguardMessage(1, seed(`wg${i}`)));
      f.send('s2c', t += ms(24), wireguardMessage(2, seed(`wg${i}`)));
      if (i === 0) {
        f.send('c2s', t += ms(1), wireguardMessage(4, seed('wg-data-out'), 64));
        f.send('s2c', t += ms(25), wireguardMessage(4, seed('wg-data-in'), 96));
      }
      flows.push(f.expect({ why: `WireGuard handshake on UDP ${port}`, app: 'wireguard', sni: null, name: null }));
    }
    // 3–4. IKEv2: IKE_SA_INIT on 500, then NAT traversal to 4500 with IKE_AUTH and ESP.
    {
      const ike = new UdpScript(b, 0, device(500), remote('198.51.100.60', 500));
      let t = T0 + ms(500);
      ike.send('c2s', t, ikeMessage({ seed: seed('ikev2'), version: 0x20, exchange: IKE_SA_INIT, responderSpi: false, flags: IKE_FLAG_INITIATOR, messageId: 0, bodyLength: 300 }));
      ike.send('s2c', t += ms(30), ikeMessage({ seed: seed('ikev2'), version: 0x20, exchange: IKE_SA_INIT, responderSpi: true, flags: IKE_FLAG_RESPONSE, messageId: 0, bodyLength: 290 }));
      flows.push(ike.expect({ why: 'IKEv2 IKE_SA_INIT', app: 'ike', sni: null, name: null }));
      const natt = new UdpScript(b, 0, device(4500), remote('198.51.100.60', 4500));
      natt.send('c2s', t += ms(2), ikeMessage({ seed: seed('ikev2'), version: 0x20, exchange: IKE_AUTH, responderSpi: true, flags: IKE_FLAG_INITIATOR, messageId: 1, bodyLength: 420, nonEspMarker: true }));
      natt.send('s2c', t += ms(31), ikeMessage({ seed: seed('ikev2'), version: 0x20, exchange: IKE_AUTH, responderSpi: true, flags: IKE_FLAG_RESPONSE, messageId: 1, bodyLength: 380, nonEspMarker: true }));
      // ESP in UDP (RFC 3948 §2.1): SPI (non-zero), sequence number, then ciphertext.
      natt.send('c2s', t += ms(5), concat([Uint8Array.of(0xc1, 0x00, 0x2a, 0x17, 0, 0, 0, 1), pseudoRandomBytes(seed('esp-out'), 96)]));
      natt.send('s2c', t += ms(30), concat([Uint8Array.of(0xc2, 0x00, 0x71, 0x05, 0, 0, 0, 1), pseudoRandomBytes(seed('esp-in'), 112)]));
      flows.push(natt.expect({ why: 'IKE_AUTH behind the non-ESP marker, then ESP in UDP', app: 'ike', sni: null, name: null }));
    }
    // 5. IKEv1 aggressive mode.
    {
      const f = new UdpScript(b, 0, device(500), remote('198.51.100.61', 500));
      f.send('c2s', T0 + ms(800), ikeMessage({ seed: seed('ikev1'), version: 0x10, exchange: IKEV1_AGGRESSIVE, responderSpi: false, flags: 0, messageId: 0, bodyLength: 360 }));
      flows.push(f.expect({ why: 'IKEv1 aggressive mode', app: 'ike', sni: null, name: null }));
    }
    // 6. OpenVPN over UDP 1194.
    {
      const f = new UdpScript(b, 0, device(41194), remote('203.0.113.94', 1194));
      const t = T0 + ms(1000);
      const client = openvpnHardReset({ seed: seed('ovpn-udp'), server: false });
      f.send('c2s', t, client);
      f.send('s2c', t + ms(20), openvpnHardReset({ seed: seed('ovpn-udp'), server: true, ackSession: client.subarray(1, 9) }));
      flows.push(f.expect({ why: 'OpenVPN hard reset over UDP', app: 'openvpn', sni: null, name: null }));
    }
    // 7. OpenVPN over TCP 443 with tls-auth.
    {
      const tcp = new TcpScript(b, 0, device(47443), remote('203.0.113.94', 443), { clientIsn: 0x0badf00d, serverIsn: 0x600dcafe, rttMs: 20 });
      let t = tcp.handshake(T0 + ms(1200));
      const client = openvpnHardReset({ seed: seed('ovpn-tcp'), server: false, tlsAuthHmac: 20, tcp: true });
      t = tcp.send('c2s', t + ms(0.5), client);
      t = tcp.send('s2c', t + ms(20), openvpnHardReset({ seed: seed('ovpn-tcp'), server: true, tlsAuthHmac: 20, ackSession: client.subarray(3, 11), tcp: true }));
      tcp.close(t + ms(50));
      flows.push(tcp.expect({ why: 'OpenVPN over TCP 443 with tls-auth', app: 'openvpn', sni: null, name: null, syn_seen: true }));
    }
    // 8–9. Look-alikes.
    {
      const f = new UdpScript(b, 0, device(51830), remote('203.0.113.53', 51820));
      f.send('c2s', T0 + ms(1500), concat([Uint8Array.of(1, 0, 0, 7), pseudoRandomBytes(seed('not-wg'), 144)]));
      flows.push(f.expect({ why: 'a WireGuard-sized datagram with non-zero reserved bytes', app: null, sni: null, name: null }));
      const g = new UdpScript(b, 0, device(45000), remote('203.0.113.95', 5000));
      g.send('c2s', T0 + ms(1600), concat([Uint8Array.of(0x38), pseudoRandomBytes(seed('not-ovpn'), 8), Uint8Array.of(0, 0, 0, 0, 1)]));
      flows.push(g.expect({ why: 'the reset opcode without an empty ACK array and packet id 0, off OpenVPN\'s port', app: null, sni: null, name: null }));
    }

    return ethernetPcap(this.file, b.records(), flows);
  },
};
