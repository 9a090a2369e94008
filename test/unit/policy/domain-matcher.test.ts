/**
 * Runs the shared domain-pattern case table against both implementations (the reversed-label
 * trie used at run time and the naive reference), plus property checks that they agree.
 */
import fc from 'fast-check';
import { DomainTrie, NaiveDomainMatcher, type DomainMatcher, normalizeDomainName, parseDomainPattern } from '../../../src/policy/domain-matcher';
import { DOMAIN_CASES } from './domain-matcher.cases';

const IMPLEMENTATIONS: [string, (patterns: readonly string[]) => DomainMatcher][] = [
  ['DomainTrie', (p) => DomainTrie.compile(p)],
  ['NaiveDomainMatcher', (p) => new NaiveDomainMatcher(p)],
];

for (const [name, make] of IMPLEMENTATIONS) {
  describe(`${name} against the shared case table`, () => {
    it.each(DOMAIN_CASES.map((c) => [c[3], ...c] as const))('%s', (_why, patterns, host, expected) => {
      const m = make(patterns);
      expect(m.match(host)).toBe(expected);
      expect(m.matches(host)).toBe(expected !== null);
    });
  });
}

describe('normalizeDomainName', () => {
  it('answers the same from its memo, before and after the memo starts over', () => {
    const hosts = [...new Set(DOMAIN_CASES.map((c) => c[1]))];
    const first = hosts.map(normalizeDomainName);
    expect(first.some((n) => n === null)).toBe(true);
    expect(hosts.map(normalizeDomainName)).toEqual(first);
    for (let i = 0; i < 10_000; i++) normalizeDomainName(`host-${i}.Example.COM.`);
    expect(normalizeDomainName('host-9999.Example.COM.')).toBe('host-9999.example.com');
    expect(hosts.map(normalizeDomainName)).toEqual(first);
  });
});

describe('DomainTrie', () => {
  it('is immutable once compiled', () => {
    const t = DomainTrie.compile(['*.example.com']);
    expect(Object.isFrozen(t.patterns)).toBe(true);
    expect((t as unknown as { add?: unknown }).add).toBeUndefined();
  });

  it('agrees with the naive matcher on random names and patterns', () => {
    const label = fc.constantFrom('a', 'b', 'nebra', 'com', 'io', 'x-y', 'Ab', '');
    const nameArb = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'));
    const patArb = fc.tuple(fc.boolean(), fc.array(label.filter((l) => l !== ''), { minLength: 1, maxLength: 3 })).map(([w, ls]) => (w ? '*.' : '') + ls.join('.'));
    fc.assert(
      fc.property(fc.array(patArb, { maxLength: 5 }), nameArb, (patterns, host) => {
        expect(DomainTrie.compile(patterns).match(host)).toBe(new NaiveDomainMatcher(patterns).match(host));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseDomainPattern', () => {
  it.each([
    ['*', /alone/],
    ['a.*.com', /first label/],
    ['*example.com', /first label/],
    ['**.example.com', /first label/],
    ['a..com', /not a valid domain/],
    ['', /empty/],
    ['exa mple.com', /not a valid domain/],
  ])('rejects %p', (p, msg) => {
    const r = parseDomainPattern(p);
    expect(typeof r).toBe('string');
    expect(r as string).toMatch(msg);
  });

  it('accepts exact names and wildcards', () => {
    expect(parseDomainPattern('*.Nebra.COM.')).toEqual({ kind: 'wildcard', suffix: 'nebra.com', text: '*.nebra.com' });
    expect(parseDomainPattern('deb.debian.org')).toEqual({ kind: 'exact', suffix: 'deb.debian.org', text: 'deb.debian.org' });
  });
});
