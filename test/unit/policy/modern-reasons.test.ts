/**
 * Issue 7 reason codes in the PolicyEngine: encrypted-client-hello (ECH that hides the name,
 * pack `ech:` allowed|finding, GREASE ECH), resolver-bypass for encrypted DNS (and explicit
 * declarations with `app: dot|doq|doh` or named hosts), protocol-mismatch for a known protocol on
 * an unexpected port (TLS on 53, SSH on 443, HTTP on 8443, DNS on 5353 to a unicast address,
 * DNS on a non-DNS port), and the built-in packs' QUIC decisions.
 */
import { PolicyEngine } from '../../../src/policy/evaluate';
import { loadPackText } from '../../../src/policy/load-rules';
import { resolvePack } from '../../../src/policy/packs';
import { checkPortConvention } from '../../../src/policy/port-conventions';
import { assessEch } from '../../../src/policy/ech';
import type { DnsRecord, FlowRecord, NameCandidate } from '../../../src/report/records';

const PACK = `version: 1
device: { name: Test device }
document: { title: Doc, vendor: V, source: doc.txt, retrieved: 2025-01-31 }
ech: finding
egress:
  - { id: E-443, description: HTTPS to the vendor, source: "l1", proto: tcp, ports: [443], app: tls, hosts: ["*.vendor.com", cloudflare-ech.com] }
  - { id: E-ANY, description: HTTPS anywhere, source: "l2", proto: tcp, ports: [8443], hosts: any }
  - { id: E-DNS, description: DNS, source: "l3", proto: udp, ports: [53], app: dns, hosts: any }
  - { id: E-WEB, description: Web on 80 and 443 to the vendor, source: "l4", proto: tcp, ports: [80, 443, 22], hosts: [ssh.vendor.com] }
`;
const pack = loadPackText(PACK, 'modern.yaml');
const engine = new PolicyEngine([pack]);

let nextId = 1;
function flow(over: Partial<FlowRecord> & { names?: NameCandidate[] }): FlowRecord {
  return {
    type: 'flow', id: nextId++, proto: 'tcp', direction: 'egress', device_ip: '192.0.2.10', device_port: 40000,
    remote_ip: '198.51.100.7', remote_port: 443, first_ts: 100, last_ts: 101, packets_out: 1, packets_in: 1,
    bytes_out: 1, bytes_in: 1, app: 'tls', sni: null, alpn: null, http_host: null, dns_names: null, name: null,
    name_source: null, names: [], anomalies: [], ...over,
  };
}
const withSni = (name: string, over: Partial<FlowRecord> = {}): FlowRecord => flow({ sni: name, names: [{ name, source: 'sni' }], ...over });

describe('encrypted-client-hello', () => {
  test('real ECH (a known public name) that a rule would declare is a finding under `ech: finding`', () => {
    const v = engine.judgeFlow(withSni('cloudflare-ech.com', { ech: true }));
    expect(v).toMatchObject({ verdict: 'undeclared', rule: null, reasons: ['encrypted-client-hello'] });
    expect(v.explanation).toMatch(/^Rule E-443 \(modern\.yaml:\d+\) would declare/);
    expect(v.explanation).toMatch(/cloudflare-ech\.com is only the outer SNI, the public name/);
  });

  test('`ech: allowed` accepts it, and the explanation still says the SNI is the public name', () => {
    const e = new PolicyEngine([loadPackText(PACK.replace('ech: finding', 'ech: allowed'), 'allowed.yaml')]);
    const v = e.judgeFlow(withSni('cloudflare-ech.com', { ech: true }));
    expect(v).toMatchObject({ verdict: 'declared', rule: 'E-443', reasons: [] });
    expect(v.explanation).toMatch(/outer SNI/);
  });

  test('ECH evidence from DNS (ech_config) or a missing outer SNI also hides the name', () => {
    expect(engine.judgeFlow(withSni('api.vendor.com', { ech: true, ech_config: true })).reasons).toEqual(['encrypted-client-hello']);
    expect(engine.judgeFlow(flow({ ech: true })).reasons).toEqual(['no-attributable-name', 'encrypted-client-hello']);
  });

  test('ESNI (0xffce) always hides the name: a cleartext SNI a rule would declare is taken as a decoy', () => {
    const v = engine.judgeFlow(withSni('api.vendor.com', { ech: false, esni: true }));
    expect(v).toMatchObject({ verdict: 'undeclared', rule: null, reasons: ['encrypted-client-hello'] });
    expect(v.explanation).toMatch(/^Rule E-443 \(modern\.yaml:\d+\) would declare/);
    expect(v.explanation).toMatch(/ESNI \(0xffce.*api\.vendor\.com is only the outer SNI/);
    expect(assessEch(withSni('api.vendor.com', { esni: true })).kind).toBe('hidden');
    const allowed = new PolicyEngine([loadPackText(PACK.replace('ech: finding', 'ech: allowed'), 'allowed.yaml')]);
    expect(allowed.judgeFlow(withSni('api.vendor.com', { esni: true }))).toMatchObject({ verdict: 'declared', rule: 'E-443' });
  });

  test('added to the other reasons of an undeclared flow', () => {
    const v = engine.judgeFlow(withSni('cloudflare-ech.com', { ech: true, remote_port: 9443 }));
    expect(v.reasons).toEqual(['port-not-documented', 'encrypted-client-hello']);
  });

  test('GREASE ECH (no evidence of a configuration) keeps the verdict and says why', () => {
    const v = engine.judgeFlow(withSni('api.vendor.com', { ech: true }));
    expect(v).toMatchObject({ verdict: 'declared', rule: 'E-443' });
    expect(v.explanation).toMatch(/taken as GREASE/);
    expect(assessEch(withSni('api.vendor.com', { ech: true })).kind).toBe('grease');
    expect(assessEch(withSni('api.vendor.com')).kind).toBe('none');
  });

  test('QUIC ECH flows are judged the same way', () => {
    const e = new PolicyEngine([loadPackText(PACK.replace('ech: finding', 'ech: finding\ntransports: { quic: allowed }'), 'quic.yaml')]);
    const v = e.judgeFlow(flow({ proto: 'udp', app: 'quic', sni: 'cloudflare-ech.com', ech: true, names: [{ name: 'cloudflare-ech.com', source: 'quic-sni' }] }));
    expect(v.reasons).toEqual(['encrypted-client-hello']);
  });
});

describe('resolver-bypass', () => {
  test('DoT with no rule for 853: port-not-documented plus resolver-bypass', () => {
    const v = engine.judgeFlow(withSni('dns.google', { remote_port: 853, encrypted_dns: 'dot' }));
    expect(v.reasons).toEqual(['port-not-documented', 'resolver-bypass']);
    expect(v.explanation).toMatch(/DNS over TLS \(DoT\)/);
  });

  test('DoH through a `hosts: any` rule is a finding; the rule is named', () => {
    const v = engine.judgeFlow(withSni('dns.google', { remote_port: 8443, encrypted_dns: 'doh' }));
    expect(v).toMatchObject({ verdict: 'undeclared', rule: null, reasons: ['resolver-bypass'] });
    expect(v.explanation).toMatch(/rule E-ANY covers it only through `hosts: any`/);
  });

  test('declared explicitly by `app: doh` or by a rule that names the resolver', () => {
    const explicit = loadPackText(PACK.replace('egress:\n', 'egress:\n  - { id: E-DOH, description: DoH to Google, source: "l5", proto: tcp, ports: [443], app: doh, hosts: any }\n'), 'doh.yaml');
    const v = new PolicyEngine([explicit]).judgeFlow(withSni('dns.google', { encrypted_dns: 'doh' }));
    expect(v).toMatchObject({ verdict: 'declared', rule: 'E-DOH' });
    const named = loadPackText(PACK.replace('egress:\n', 'egress:\n  - { id: E-G, description: Google DNS, source: "l5", proto: tcp, ports: [853], hosts: [dns.google] }\n'), 'named.yaml');
    expect(new PolicyEngine([named]).judgeFlow(withSni('dns.google', { remote_port: 853, encrypted_dns: 'dot' }))).toMatchObject({ verdict: 'declared', rule: 'E-G' });
  });

  test('`app: doh` does not match a TLS flow that is not DoH', () => {
    const explicit = loadPackText(PACK.replace('egress:\n', 'egress:\n  - { id: E-DOH, description: DoH, source: "l5", proto: tcp, ports: [8443], app: doh, hosts: any }\n'), 'doh.yaml');
    expect(new PolicyEngine([explicit]).judgeFlow(withSni('www.example.com', { remote_port: 8443 })).rule).toBe('E-ANY');
  });
});

describe('protocol-mismatch: a known protocol on an unexpected port', () => {
  test('QUIC on UDP 53 and TLS on TCP 53: the DNS rule fails on the protocol, naming what was found', () => {
    const v = engine.judgeFlow(flow({ proto: 'udp', remote_port: 53, app: 'quic' }));
    expect(v.reasons).toEqual(['protocol-mismatch']);
    expect(v.explanation).toMatch(/carries quic/);
    const t = engine.judgeFlow(withSni('x.example', { remote_port: 53 }));
    expect(t.reasons).toContain('protocol-mismatch');
    expect(t.explanation).toMatch(/TLS/);
  });

  test('SSH on 443 through a rule without `app`: the port convention (TLS) is expected', () => {
    const v = engine.judgeFlow(flow({ app: 'ssh', remote_ip: '198.51.100.9', names: [{ name: 'ssh.vendor.com', source: 'dns-answer' }] }));
    expect(v).toMatchObject({ verdict: 'undeclared', reasons: ['protocol-mismatch'] });
    expect(v.explanation).toMatch(/ssh/i);
    const noApp = new PolicyEngine([loadPackText(PACK.replace(/  - \{ id: E-443.*\n/, ''), 'noapp.yaml')]);
    expect(noApp.judgeFlow(flow({ app: 'ssh', names: [{ name: 'ssh.vendor.com', source: 'dns-answer' }] })).explanation)
      .toMatch(/without naming a protocol.*The content is SSH, but TCP port 443 is for TLS/);
    // The same rule declares SSH on 22, its conventional port.
    expect(engine.judgeFlow(flow({ app: 'ssh', remote_port: 22, names: [{ name: 'ssh.vendor.com', source: 'dns-answer' }] })).rule).toBe('E-WEB');
  });

  test('HTTP on 8443 (hosts: any, no app): protocol-mismatch; TLS there is declared', () => {
    expect(engine.judgeFlow(flow({ app: 'http', remote_port: 8443, http_host: 'a.example' })).reasons).toEqual(['protocol-mismatch']);
    expect(engine.judgeFlow(flow({ remote_port: 8443 })).rule).toBe('E-ANY');
  });

  test('SSH, SOCKS or a VPN on a port with no convention, through a rule without `app` (Ookla on 8080, Tor on 9001): protocol-mismatch', () => {
    const p = loadPackText(PACK.replace('egress:\n', 'egress:\n  - { id: E-OOKLA, description: Ookla, source: "l7", proto: tcp, ports: [8080], hosts: any }\n'), 'ookla.yaml');
    const e = new PolicyEngine([p]);
    const v = e.judgeFlow(flow({ app: 'ssh', remote_port: 8080 }));
    expect(v).toMatchObject({ verdict: 'undeclared', reasons: ['protocol-mismatch'] });
    expect(v.explanation).toMatch(/The content is SSH, a remote-access or tunnel protocol, on TCP port 8080, which is not its port \(a rule that documents it there says `app: ssh`\)/);
    expect(e.judgeFlow(flow({ app: 'openvpn', remote_port: 8080 })).reasons).toEqual(['protocol-mismatch']);
    // HTTP and unidentified content there are what such a rule is for.
    expect(e.judgeFlow(flow({ app: 'http', remote_port: 8080 })).rule).toBe('E-OOKLA');
    expect(e.judgeFlow(flow({ app: null, remote_port: 8080 })).rule).toBe('E-OOKLA');
    expect(checkPortConvention('tcp', 22, 'ssh', true)).toBeNull();
  });

  test('an explicit `app:` documents the unusual protocol', () => {
    const p = loadPackText(PACK.replace('egress:\n', 'egress:\n  - { id: E-SSH443, description: SSH over 443, source: "l6", proto: tcp, ports: [443], app: ssh, hosts: any }\n'), 'ssh443.yaml');
    expect(new PolicyEngine([p]).judgeFlow(flow({ app: 'ssh' }))).toMatchObject({ verdict: 'declared', rule: 'E-SSH443' });
  });

  test('no rule for the port: the main reason stays, protocol-mismatch is added with the protocol found', () => {
    const v = engine.judgeFlow(flow({ app: 'http', remote_port: 853 }));
    expect(v.reasons).toEqual(['port-not-documented', 'protocol-mismatch']);
    expect(v.explanation).toMatch(/plain HTTP/);
  });

  test('DNS on 5353 to a unicast address; mDNS to its group is fine', () => {
    const unicast = flow({ proto: 'udp', app: 'mdns', remote_port: 5353, remote_ip: '203.0.113.53', dns_names: ['a.example'] });
    const v = engine.judgeFlow(unicast);
    expect(v.reasons).toEqual(['port-not-documented', 'protocol-mismatch']);
    expect(v.explanation).toMatch(/DNS sent to a unicast address on port 5353/);
    expect(checkPortConvention('udp', 5353, 'mdns', false)).toBeNull();
  });

  test('plain DNS on a non-DNS port, as a flow and as a DNS record', () => {
    expect(checkPortConvention('udp', 5300, 'dns', true)?.found).toBe('dns');
    const d: DnsRecord = {
      type: 'dns', ts: 1, proto: 'udp', app: 'dns', client_ip: '192.0.2.10', client_port: 5000, server_ip: '203.0.113.53',
      server_port: 5300, id: 1, qname: 'a.example', qtype: 'A', rcode: null, answers: [],
    };
    expect(engine.judgeDns(d).reasons).toEqual(['port-not-documented', 'protocol-mismatch']);
    expect(engine.judgeDns({ ...d, server_port: 53 }).verdict).toBe('declared');
  });

  test('protocols found by content on another protocol\'s port, and on their own', () => {
    expect(checkPortConvention('tcp', 443, 'socks', true)?.text).toBe('The content is SOCKS, but TCP port 443 is for TLS.');
    expect(checkPortConvention('tcp', 443, 'mqtt', true)?.found).toBe('mqtt');
    expect(checkPortConvention('tcp', 25, 'tls', true)?.text).toBe('The content is TLS, but TCP port 25 is for SMTP.');
    expect(checkPortConvention('tcp', 587, 'smtp', true)).toBeNull();
    expect(checkPortConvention('tcp', 1883, 'mqtt', true)).toBeNull();
    expect(checkPortConvention('udp', 67, 'dhcp', false)).toBeNull();
    expect(checkPortConvention('udp', 1900, 'ssdp', false)).toBeNull();
    expect(checkPortConvention('tcp', 8883, 'mqtt', true)).toBeNull(); // no convention for 8883's content kept
  });

  test('DTLS belongs on UDP 443 (VPN data channels), 853 (DNS over DTLS) and 5684 (CoAP); elsewhere with a convention it is a mismatch', () => {
    for (const port of [443, 853, 5684]) expect([port, checkPortConvention('udp', port, 'dtls', true)]).toEqual([port, null]);
    expect(checkPortConvention('udp', 443, 'quic', true)).toBeNull();
    expect(checkPortConvention('udp', 123, 'dtls', true)?.text).toBe('The content is DTLS, but UDP port 123 is for NTP.');
    expect(checkPortConvention('udp', 5684, 'quic', true)?.text).toBe('The content is QUIC, but UDP port 5684 is for DTLS.');
    expect(checkPortConvention('udp', 4433, 'dtls', true)).toBeNull(); // no convention
  });

  test('CoAP belongs on UDP 5683, its DTLS on 5684; either on the other\'s port is a mismatch', () => {
    expect(checkPortConvention('udp', 5683, 'coap', true)).toBeNull();
    expect(checkPortConvention('udp', 5683, 'dtls', true)?.text).toBe('The content is DTLS, but UDP port 5683 is for CoAP.');
    expect(checkPortConvention('udp', 5684, 'coap', true)?.text).toBe('The content is CoAP, but UDP port 5684 is for DTLS.');
  });

  test('NetBIOS name service belongs on UDP 137; plain DNS there is a mismatch', () => {
    expect(checkPortConvention('udp', 137, 'nbns', true)).toBeNull();
    expect(checkPortConvention('udp', 137, 'dns', true)?.text).toBe('The content is DNS, but UDP port 137 is for NetBIOS name service.');
  });

  test('VPN tunnels: on their own ports they are what the port is for; WireGuard, IKE or OpenVPN on 443 is a mismatch', () => {
    for (const [proto, port, app] of [['udp', 51820, 'wireguard'], ['udp', 500, 'ike'], ['udp', 4500, 'ike'], ['udp', 1194, 'openvpn'], ['tcp', 1194, 'openvpn']] as const) {
      expect([proto, port, checkPortConvention(proto, port, app, true)]).toEqual([proto, port, null]);
    }
    expect(checkPortConvention('udp', 443, 'wireguard', true)?.text).toBe('The content is WireGuard, but UDP port 443 is for QUIC or DTLS.');
    expect(checkPortConvention('tcp', 443, 'openvpn', true)?.text).toBe('The content is OpenVPN, but TCP port 443 is for TLS.');
    expect(checkPortConvention('udp', 53, 'ike', true)?.found).toBe('ike');
  });

  test('no convention, unknown content or no payload: never a mismatch', () => {
    expect(checkPortConvention('tcp', 8080, 'tls', true)).toBeNull();
    expect(checkPortConvention('tcp', 443, null, true)).toBeNull();
    expect(checkPortConvention('tcp', 443, 'tcp-no-payload', true)).toBeNull();
    expect(checkPortConvention('udp', 53, 'mdns', true)).toBeNull(); // a query sent from port 5353 to 53 is still DNS
  });
});

describe('built-in packs: QUIC where the vendor writes HTTPS 443', () => {
  test.each(['bitbox-base', 'nebra-hotspot', 'radar-pod'])('%s decides transports.quic and ech, and says why in its header', (name) => {
    const p = resolvePack(name);
    expect(p.transports.quic).toBe('finding');
    expect(p.ech).toBe('finding');
    expect(p.header).toMatch(/QUIC/);
    expect(p.header).toMatch(/ECH/);
  });
});

describe('server certificate names', () => {
  test('a flow without a name stays no-attributable-name; the explanation reports the certificate as the server\'s claim', () => {
    const bare = engine.judgeFlow(flow({ remote_ip: '198.51.100.70' }));
    const withCert = engine.judgeFlow(flow({ remote_ip: '198.51.100.70', server_cert_names: ['api.vendor.com', '*.vendor.com'] }));
    for (const v of [bare, withCert]) expect(v).toMatchObject({ verdict: 'undeclared', rule: null, reasons: ['no-attributable-name'] });
    expect(bare.explanation).not.toMatch(/certificate/);
    expect(withCert.explanation).toMatch(/The server presented a certificate for api\.vendor\.com, \*\.vendor\.com: the server's claim, not a name the device asked for/);
    // Judged again in the other order: the outcome memo tells the two subjects apart.
    expect(engine.judgeFlow(flow({ remote_ip: '198.51.100.70' })).explanation).toBe(bare.explanation);
    expect(engine.judgeFlow(flow({ remote_ip: '198.51.100.70', server_cert_names: ['other.example.com'] })).explanation).toMatch(/certificate for other\.example\.com:/);
  });
});
