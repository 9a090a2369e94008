/**
 * lintPack: each finding with its code, severity and file:line:column; an invalid file is one
 * error finding, never a throw.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatFinding, lintLoadedPack, lintPack } from '../../../src/policy/lint';
import { loadPackText } from '../../../src/policy/load-rules';

const HEAD = `version: 1
device: { name: D }
document: { title: T, vendor: V, source: s, retrieved: 2025-01-31 }
`;

function lint(body: string) {
  return lintLoadedPack(loadPackText(HEAD + body, 'lint.yaml'));
}

/** One egress rule `a` on TCP 443 to `hosts` (YAML flow text), written block style so each host has its own column. */
const tcp443To = (hosts: string): string => `egress:
  - id: a
    description: d
    source: s
    proto: tcp
    ports: [443]
    hosts: ${hosts}
`;

describe('lintPack findings', () => {
  it('duplicate-id (error)', () => {
    const f = lint(`egress:
  - { id: a, description: d, source: s, proto: tcp, ports: [443], hosts: [x.example.com] }
inbound:
  - { id: a, description: d, source: s, proto: tcp, ports: [80], hosts: any }
`);
    expect(f).toEqual([expect.objectContaining({ severity: 'error', code: 'duplicate-id', line: 7, column: 5, rule: 'a' })]);
  });

  it('shadowed-rule: an earlier rule covers every flow of a later one', () => {
    const f = lint(`egress:
  - { id: wide, description: d, source: s, proto: both, ports: ["1-1024"], hosts: ["*.example.com"] }
  - { id: narrow, description: d, source: s, proto: tcp, ports: [443], app: tls, hosts: [api.example.com] }
  - { id: other, description: d, source: s, proto: tcp, ports: [443], hosts: [api.example.org] }
`);
    expect(f.map((x) => [x.code, x.rule, x.line])).toEqual([['shadowed-rule', 'narrow', 6]]);
    expect(f[0].message).toMatch(/rule wide \(line 5\)/);
  });

  it('shadowed-rule: a deny rule hides an allow rule', () => {
    const f = lint(`inbound:
  - { id: ssh, description: d, source: s, proto: tcp, ports: [22], hosts: any }
deny:
  - { id: no-ssh, description: d, source: s, direction: inbound, proto: tcp, ports: [22], hosts: any }
`);
    expect(f.map((x) => [x.code, x.rule])).toEqual([['shadowed-rule', 'ssh']]);
  });

  it('does not call a rule shadowed when the earlier one is conditional', () => {
    const f = lint(`switches: { tor: { values: [on, off], default: off } }
egress:
  - { id: a, description: d, source: s, proto: tcp, ports: [9001], hosts: any, when: { tor: on } }
  - { id: b, description: d, source: s, proto: tcp, ports: [9001], hosts: any }
`);
    expect(f).toEqual([]);
  });

  it('overlapping-wildcard: a pattern already covered in the same rule', () => {
    const f = lint(tcp443To('["*.example.com", api.example.com, "*.b.example.com"]'));
    expect(f.map((x) => [x.code, x.line, x.column])).toEqual([
      ['overlapping-wildcard', 10, 30],
      ['overlapping-wildcard', 10, 47],
    ]);
  });

  it('public-suffix-wildcard: *. over a public suffix', () => {
    const f = lint(`egress:
  - { id: a, description: d, source: s, proto: tcp, ports: [443], hosts: ["*.co.uk", "*.github.io", "*.vendor.co.uk"] }
`);
    expect(f.map((x) => [x.code, x.message.match(/'([^']+)'/)?.[1]])).toEqual([
      ['public-suffix-wildcard', '*.co.uk'],
      ['public-suffix-wildcard', '*.github.io'],
      ['overlapping-wildcard', '*.vendor.co.uk'],
    ]);
  });

  it('all-ports: a range covering every port', () => {
    const f = lint(`egress:
  - { id: a, description: d, source: s, proto: tcp, ports: ["1-65535"], hosts: any }
`);
    expect(f).toEqual([expect.objectContaining({ severity: 'warning', code: 'all-ports', line: 5 })]);
  });

  it('unknown-app and resolvers-without-dns', () => {
    const f = lint(`egress:
  - { id: a, description: d, source: s, proto: tcp, ports: [443], app: tsl, hosts: any, resolvers: [198.51.100.53] }
`);
    expect(f.map((x) => x.code).sort()).toEqual(['resolvers-without-dns', 'unknown-app']);
  });

  it('app-transport: an app only ever seen over the other transport makes a rule that can never match', () => {
    const f = lint(`egress:
  - { id: a, description: d, source: s, proto: udp, ports: [443], app: tls, hosts: any }
  - { id: b, description: d, source: s, proto: tcp, ports: [123], app: ntp, hosts: any }
  - { id: c, description: d, source: s, proto: both, ports: [443], app: tls, hosts: any }
  - { id: d, description: d, source: s, proto: tcp, ports: [53], app: dns, hosts: any }
`);
    expect(f.map((x) => [x.code, x.rule])).toEqual([['app-transport', 'a'], ['app-transport', 'b']]);
    expect(f[0].message).toMatch(/can never match: app 'tls' is only seen over TCP/);
  });

  it('all-addresses and host-bits-set: a prefix that covers everything, and one written with its host bits', () => {
    const f = lint(tcp443To('[0.0.0.0/0, "::/0", 198.51.100.7/24, "2001:db8::1/64", 203.0.113.0/24, "2001:db8:1::/48", 192.0.2.9]'));
    expect(f.map((x) => [x.code, x.message.match(/'([^']+)'/)?.[1]])).toEqual([
      ['all-addresses', '0.0.0.0/0'], ['all-addresses', '::/0'], ['host-bits-set', '198.51.100.7/24'], ['host-bits-set', '2001:db8::1/64'],
    ]);
  });

  it('formats findings as file:line:column: severity: message [code]', () => {
    const [f] = lint(`egress:
  - { id: a, description: d, source: s, proto: tcp, ports: ["1-65535"], hosts: any }
`);
    expect(formatFinding(f)).toMatch(/^lint\.yaml:5:\d+: warning: rule a covers every port .* \[all-ports\]$/);
  });
});

describe('lintPack on files', () => {
  it('reports an invalid file as one error finding with its position', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-lint-'));
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, `${HEAD}egress:\n  - { id: a, description: d, source: s, proto: tcp, ports: [99999], hosts: any }\n`);
    try {
      expect(lintPack(file)).toEqual([
        expect.objectContaining({ severity: 'error', code: 'rules-invalid', file, line: 5, message: expect.stringMatching(/out of range/) }),
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
