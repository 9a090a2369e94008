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

/**
 * The overlap and shadow checks index patterns and rules instead of comparing every pair: on a
 * 1 MiB pack (one rule per name, or rules of 4096 names) the pairwise scan took 6-12 s, most of
 * it in patternCovers. The results are those of the pairwise scan, written out here as the
 * naive reference, on seeded random packs full of overlaps, duplicates and shadowed rules.
 */
describe('lint on big packs', () => {
  const NAMES = ['a.example.com', '*.example.com', 'example.com', '*.b.example.com', 'c.b.example.com', '*.co.uk', '*.vendor.net', 'x.vendor.net',
    'X.Vendor.NET.', '*.a.example.com', 'deep.x.a.example.com', '198.51.100.0/24', '198.51.100.7/24', '2001:db8::1/32', 'h.example.org'];
  /** A seeded random pack (mulberry32): every kind of rule, switches, apps and hosts from NAMES. */
  function randomPack(seed: number, n: number): string {
    let st = seed;
    const rnd = (k: number): number => {
      st = (st + 0x6d2b79f5) | 0;
      let t = Math.imul(st ^ (st >>> 15), 1 | st);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % k;
    };
    let out = `${HEAD}switches:\n  tor: { values: [on, off], default: off }\n`;
    for (const kind of ['egress', 'inbound', 'deny']) {
      out += `${kind}:\n`;
      for (let i = 0; i < n; i++) {
        const hosts = rnd(8) === 0 ? 'any' : `[${Array.from({ length: 1 + rnd(4) }, () => JSON.stringify(NAMES[rnd(NAMES.length)])).join(', ')}]`;
        const ports = ['[443]', '[80, 443]', '["1-65535"]', '["400-500"]', '[53]'][rnd(5)];
        const app = rnd(4) === 0 ? `, app: ${['tls', 'dns', 'http'][rnd(3)]}` : '';
        const when = rnd(4) === 0 ? `, when: { tor: ${rnd(2) ? 'on' : 'off'} }` : '';
        const dir = kind === 'deny' ? `, direction: ${rnd(2) ? 'egress' : 'inbound'}` : '';
        out += `  - { id: ${kind[0]}${i}, description: d, source: s, proto: ${['tcp', 'udp', 'both'][rnd(3)]}, ports: ${ports}, hosts: ${hosts}${app}${when}${dir} }\n`;
      }
    }
    return out;
  }

  type Pack = ReturnType<typeof loadPackText>;
  type Rule = Pack['rules'][number];
  type Pattern = Rule['domainPatterns'][number];
  const patternCovers = (o: Pattern, i: Pattern): boolean =>
    o.kind === 'exact' ? i.kind === 'exact' && i.suffix === o.suffix : i.suffix.endsWith(`.${o.suffix}`) || (i.kind === 'wildcard' && i.suffix === o.suffix);
  const covers = (o: Rule, i: Rule, deny: boolean): boolean =>
    o.direction === i.direction && [...i.protos].every((p) => o.protos.has(p)) && o.ports.covers(i.ports) && (o.app === null || o.app === i.app)
    && (deny || o.resolvers === null || i.resolvers !== null) && Object.entries(o.when).every(([k, v]) => i.when[k] === v)
    && (o.anyHost || (!i.anyHost && i.addresses.size === 0 && i.domainPatterns.every((p) => o.domainPatterns.some((q) => patternCovers(q, p)))));
  /** Every pair compared: the overlapping-wildcard and shadowed-rule messages, in the order lint writes them before sorting. */
  function naive(pack: Pack): string[] {
    const out: string[] = [];
    for (const r of pack.rules) {
      r.domainPatterns.forEach((p, i) => r.domainPatterns.forEach((q, j) => {
        if (i !== j && patternCovers(q, p) && (j < i || !patternCovers(p, q))) out.push(`rule ${r.id}: '${p.text}' is already covered by '${q.text}'`);
      }));
    }
    const allows = pack.rules.filter((r) => r.kind !== 'deny');
    const denies = pack.rules.filter((r) => r.kind === 'deny');
    allows.forEach((r, i) => {
      const e = allows.slice(0, i).find((x) => covers(x, r, false));
      if (e) out.push(`rule ${r.id} never declares anything: rule ${e.id} (line ${e.loc.line}) matches every flow it would`);
      const d = denies.find((x) => covers(x, r, true));
      if (d) out.push(`rule ${r.id} never declares anything: deny rule ${d.id} (line ${d.loc.line}) matches every flow it would`);
    });
    return out.sort();
  }

  it.each([1, 2, 3, 4, 5, 6])('finds what comparing every pair finds (seed %i)', (seed) => {
    const pack = loadPackText(randomPack(seed, 120), 'big.yaml');
    const found = lintLoadedPack(pack).filter((f) => f.code === 'overlapping-wildcard' || f.code === 'shadowed-rule').map((f) => f.message).sort();
    expect(found.length).toBeGreaterThan(20);
    expect(found).toEqual(naive(pack));
  });

  it('does not compare every pattern with every other: a rule of 2000 names, and 2000 rules of a name each', () => {
    const many = Array.from({ length: 2000 }, (_, i) => `h${i}.example${i % 7}.com`);
    const oneRule = loadPackText(`${HEAD}egress:\n  - { id: big, description: d, source: s, proto: tcp, ports: [443], hosts: [${many.join(', ')}, "*.example3.com"] }\n`, 'one.yaml');
    const manyRules = loadPackText(`${HEAD}egress:\n${many.map((h, i) => `  - { id: r${i}, description: d, source: s, proto: tcp, ports: [443], hosts: [${h}] }\n`).join('')}  - { id: last, description: d, source: s, proto: tcp, ports: [443], hosts: [h7.example0.com] }\n`, 'many.yaml');
    const dm = jest.requireActual<typeof import('../../../src/policy/domain-matcher')>('../../../src/policy/domain-matcher');
    const spy = jest.spyOn(dm, 'patternCovers');
    try {
      const a = lintLoadedPack(oneRule);
      const b = lintLoadedPack(manyRules);
      // The pairwise scan called patternCovers about 2000² times for the one rule, and some 2 M times for the many rules.
      expect(spy.mock.calls.length).toBeLessThan(20 * many.length);
      expect(a.map((f) => f.message)).toEqual(many.filter((h) => h.endsWith('.example3.com')).map((h) => `rule big: '${h}' is already covered by '*.example3.com'`));
      expect(b.map((f) => f.message)).toEqual(['rule last never declares anything: rule r7 (line 12) matches every flow it would']); // r0 is on line 5
    } finally {
      spy.mockRestore();
    }
  });
});
