/**
 * The built-in packs (rules/*.yaml): they load, lint without errors, quote their source on every
 * rule, state the wildcard semantics in their header, and behave as their headers promise.
 * Also `resolvePack` (name vs path) and `listPacks` / `describePack`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RulesNameClashError, RulesNotFoundError } from '../../../src/errors';
import { PolicyEngine } from '../../../src/policy/evaluate';
import { lintLoadedPack } from '../../../src/policy/lint';
import { builtInPackNames, describePack, listPacks, resolvePack, resolvePackPath, resolvePacks, RULES_DIR } from '../../../src/policy/packs';
import type { FlowRecord, NameCandidate } from '../../../src/report/records';
import { REPO_ROOT } from '../../helpers/shared';

const BUILT_IN = ['bitbox-base', 'nebra-hotspot', 'radar-pod'];

function flow(over: Partial<FlowRecord> & { names?: NameCandidate[] }): FlowRecord {
  return {
    type: 'flow', id: 1, proto: 'tcp', direction: 'egress', device_ip: '192.0.2.10', device_port: 40000,
    remote_ip: '198.51.100.7', remote_port: 443, first_ts: 100, last_ts: 101, packets_out: 1, packets_in: 1,
    bytes_out: 1, bytes_in: 1, app: 'tls', sni: null, alpn: null, http_host: null, dns_names: null, name: null,
    name_source: null, names: [], anomalies: [], ...over,
  };
}

describe('built-in packs', () => {
  it('are found in the repository rules/ folder', () => {
    expect(RULES_DIR).toBe(path.join(REPO_ROOT, 'rules'));
    expect(builtInPackNames()).toEqual(BUILT_IN);
  });

  it.each(BUILT_IN)('%s loads, lints clean, cites a source for every rule and states the wildcard semantics', (name) => {
    const pack = resolvePack(name);
    expect(pack.file).toBe(`rules/${name}.yaml`);
    expect(lintLoadedPack(pack).filter((f) => f.severity === 'error')).toEqual([]);
    expect(lintLoadedPack(pack)).toEqual([]);
    for (const r of pack.rules) expect(r.source.length).toBeGreaterThan(10);
    expect(pack.header).toMatch(/one or more labels in front of/);
    expect(pack.header).toMatch(/never/);
  });

  it('a port several rules document: the explanation names each rule and the name it does not list (not "only for" one of them)', () => {
    const e = new PolicyEngine([resolvePack('radar-pod')]);
    // apt followed a redirect from deb.debian.org to a mirror on the same keep-alive connection.
    const v = e.judgeFlow(flow({ remote_port: 80, app: 'http', names: [{ name: 'deb.debian.org', source: 'http-host' }, { name: 'mirror.example.net', source: 'http-host' }] }));
    expect(v.reasons).toEqual(['name-not-documented']);
    expect(v.explanation).toMatch(/^This port is documented by \d+ rules, none of which lists every name of this traffic: /);
    expect(v.explanation).toMatch(/rule radar-apt \([^)]*\) for [^;]*deb\.debian\.org[^;]*, which does not list mirror\.example\.net/);
    expect(v.explanation).toMatch(/rule radar-ndt7-ws \([^)]*\) for [^;]*, which does not list deb\.debian\.org/);
    expect(v.explanation).not.toMatch(/only for/);
    // One rule for the port: the one-rule sentence stays.
    const n = new PolicyEngine([resolvePack('nebra-hotspot')]).judgeFlow(flow({ names: [{ name: 'balena-cloud.com', source: 'sni' }] }));
    expect(n.explanation).toMatch(/^Port 443 is documented by rule nebra-updates .* only for .*; balena-cloud\.com is not listed\.$/);
  });

  it('an SRV lookup of _service._proto.name is judged as a lookup of name (apt asks _http._tcp.deb.debian.org before each fetch)', () => {
    const e = new PolicyEngine([resolvePack('radar-pod')]);
    const dns = (qname: string, qtype: string) => ({
      type: 'dns' as const, ts: 1, proto: 'udp' as const, app: 'dns', client_ip: '192.0.2.10', client_port: 40000, server_ip: '198.51.100.53', server_port: 53,
      id: 1, qname, qtype, rcode: 'NOERROR', answers: [],
    });
    expect(e.judgeDns(dns('deb.debian.org', 'A')).verdict).toBe('declared');
    expect(e.judgeDns(dns('_http._tcp.deb.debian.org', 'SRV')).verdict).toBe('declared');
    expect(e.judgeDns(dns('_http._tcp.deb.debian.org', 'TXT')).verdict).toBe('undeclared');
    expect(e.judgeDns(dns('_http._tcp.mirror.example.net', 'SRV')).verdict).toBe('undeclared');
  });

  it('nebra-hotspot: updates need a whitelisted name; libp2p 44158 is a finding', () => {
    const e = new PolicyEngine([resolvePack('nebra-hotspot')]);
    expect(e.judgeFlow(flow({ names: [{ name: 'api.balena-cloud.com', source: 'sni' }] })).rule).toBe('nebra-updates');
    expect(e.judgeFlow(flow({ names: [{ name: 'balena-cloud.com', source: 'sni' }] })).reasons).toEqual(['name-not-documented']);
    expect(e.judgeFlow(flow({ remote_port: 44158, app: 'tcp' })).reasons).toEqual(['port-not-documented']);
    expect(e.judgeFlow(flow({ proto: 'udp', remote_port: 123, app: 'ntp', names: [{ name: 'pool.ntp.org', source: 'dns-answer' }] })).rule).toBe('nebra-ntp');
  });

  it('bitbox-base: tor and ssh switches pick the documented configuration', () => {
    const pack = resolvePack('bitbox-base');
    const p2p = flow({ remote_port: 8333, app: 'bitcoin' });
    const ssh = flow({ direction: 'inbound', device_port: 22, app: 'ssh' });
    const def = new PolicyEngine([pack]);
    expect(def.judgeFlow(p2p).rule).toBe('bitbox-bitcoin-out');
    expect(def.judgeFlow(flow({ remote_port: 9001 })).reasons).toEqual(['port-not-documented']);
    expect(def.judgeFlow(ssh)).toMatchObject({ rule: 'bitbox-ssh-disabled', reasons: ['explicitly-disabled'] });
    const tor = new PolicyEngine([pack], { tor: 'on', ssh: 'enabled' });
    expect(tor.judgeFlow(p2p).reasons).toEqual(['port-not-documented']);
    // Row 34: "Tor disabled, or initial block download over clearnet": with Tor on, clearnet P2P
    // only while the node makes its initial block download that way.
    expect(new PolicyEngine([pack], { tor: 'on', 'ibd-clearnet': 'on' }).judgeFlow(p2p)).toMatchObject({ verdict: 'declared', rule: 'bitbox-bitcoin-ibd-out' });
    expect(tor.judgeFlow(flow({ remote_port: 9001 })).rule).toBe('bitbox-tor-out');
    expect(tor.judgeFlow(ssh)).toMatchObject({ verdict: 'declared', rule: 'bitbox-ssh-in' });
    const mdns = flow({ proto: 'udp', direction: 'local', app: 'mdns', device_port: 5353, remote_ip: 'ff02::fb', remote_port: 5353 });
    expect(def.judgeFlow(mdns).rule).toBe('bitbox-mdns-out');
  });

  it('radar-pod: DNS is implied for the documented names, NTP is not', () => {
    const pack = resolvePack('radar-pod');
    const dnsRule = pack.rules.find((r) => r.id === 'radar-dns');
    expect(dnsRule?.implied).toBe(true);
    const e = new PolicyEngine([pack]);
    expect(e.judgeFlow(flow({ proto: 'udp', remote_port: 123, app: 'ntp' })).reasons).toEqual(['port-not-documented']);
    expect(e.judgeFlow(flow({ proto: 'udp', app: 'quic', names: [{ name: 'radar.exactlylabs.com', source: 'quic-sni' }] })).reasons).toEqual(['transport-not-documented']);
    expect(e.judgeFlow(flow({ remote_port: 5060, app: 'http' })).rule).toBe('radar-ookla');
  });
});

describe('resolvePack', () => {
  it('picks a built-in by name and a file by path', () => {
    expect(resolvePackPath('radar-pod')).toBe(path.join(RULES_DIR, 'radar-pod.yaml'));
    const fixture = path.join(REPO_ROOT, 'test/fixtures/sim-rules/radar.yaml');
    expect(resolvePack(fixture).name).toBe('radar');
  });

  it('says which packs exist when the name is unknown', () => {
    expect(() => resolvePack('nebra')).toThrow(RulesNotFoundError);
    try {
      resolvePack('nebra');
    } catch (e) {
      expect((e as RulesNotFoundError).code).toBe('EA_RULES_NOT_FOUND');
      expect((e as RulesNotFoundError).hint).toMatch(/nebra-hotspot/);
    }
    expect(() => resolvePack('./missing.yaml')).toThrow(/no rule pack/);
    expect(() => resolvePack('../etc/passwd')).toThrow(RulesNotFoundError);
  });

  it('refuses two packs of one name (a pack is named after its file): their rules, switches and digests would be mixed up', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-packs-'));
    try {
      const text = fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/sim-rules/radar.yaml'), 'utf8');
      for (const site of ['site1', 'site2']) {
        fs.mkdirSync(path.join(dir, site));
        fs.writeFileSync(path.join(dir, site, 'pack.yaml'), text);
      }
      const a = path.join(dir, 'site1', 'pack.yaml');
      const b = path.join(dir, 'site2', 'pack.yaml');
      expect(() => resolvePacks([a, b])).toThrow(RulesNameClashError);
      expect(() => resolvePacks([a, a])).toThrow(/both named 'pack'/);
      expect(resolvePacks([a, 'radar-pod']).map((p) => p.name)).toEqual(['pack', 'radar-pod']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('listPacks / describePack', () => {
  it('lists every built-in with its switches', () => {
    const list = listPacks();
    expect(list.map((p) => p.name)).toEqual(BUILT_IN);
    expect(list[0].switches).toEqual(['tor=on|off (default off)', 'ibd-clearnet=on|off (default off)', 'ssh=enabled|disabled (default disabled)']);
  });

  it('describes a pack as plain data', () => {
    const d = describePack('bitbox-base');
    expect(d.header).toMatch(/^BitBox Base/);
    const ssh = d.rules.find((r) => r.id === 'bitbox-ssh-disabled');
    expect(ssh).toMatchObject({ kind: 'deny', direction: 'inbound', proto: 'tcp', ports: '22', hosts: 'any', when: 'ssh=disabled' });
    expect(ssh?.location).toMatch(/^rules\/bitbox-base\.yaml:\d+:5$/);
  });
});
