/**
 * DnsCache: names a client learned for an address, per client, valid for TTL + grace on packet
 * time, newest first, bounded with counted eviction.
 */
import { DnsCache, DEFAULT_DNS_GRACE_MICROS } from '../../../src/attribution/dns-cache';
import fc from 'fast-check';
import { parseAddr } from '../../../src/net/addr';
import { ReferenceDnsCache } from './reference-dns-cache';

const T0 = 1_704_067_200_000_000;

function w(ip: string): [number, number, number, number] {
  const a = parseAddr(ip);
  if (!a) throw new Error(ip);
  return a.w;
}

/** Thin wrapper so tests read as (client, address, name). */
function cache(maxEntries?: number, grace?: number): {
  c: DnsCache;
  add: (client: string, addr: string, name: string, ttl: number, ts: number, owner?: string) => void;
  names: (client: string, addr: string, ts: number) => string[];
  owners: (client: string, addr: string, ts: number) => string[];
} {
  const c = new DnsCache(maxEntries, grace);
  const v = (ip: string): 4 | 6 => (ip.includes(':') ? 6 : 4);
  const add = (client: string, addr: string, name: string, ttl: number, ts: number, owner = name): void => {
    const a = w(addr), k = w(client);
    c.add(v(addr), a[0], a[1], a[2], a[3], k[0], k[1], k[2], k[3], name, owner, ttl, ts);
  };
  const look = (client: string, addr: string, ts: number) => {
    const a = w(addr), k = w(client);
    return c.lookup(v(addr), a[0], a[1], a[2], a[3], k[0], k[1], k[2], k[3], ts);
  };
  return {
    c, add,
    names: (client, addr, ts) => look(client, addr, ts).map((n) => n.name),
    owners: (client, addr, ts) => look(client, addr, ts).map((n) => n.owner),
  };
}

const DEV = '192.168.1.10';
const OTHER = '192.168.1.11';
const IP = '93.184.216.34';

describe('DnsCache', () => {
  test('an answer is found for the same client and address', () => {
    const { names } = (() => { const x = cache(); x.add(DEV, IP, 'example.com', 60, T0); return x; })();
    expect(names(DEV, IP, T0 + 1)).toEqual(['example.com']);
  });

  test('another client did not learn the name (answers are per client)', () => {
    // Adversarial: a name one device resolved must not name another device's flow to the same CDN address.
    const x = cache();
    x.add(DEV, IP, 'example.com', 60, T0);
    expect(x.names(OTHER, IP, T0 + 1)).toEqual([]);
    expect(x.names(DEV, '93.184.216.35', T0 + 1)).toEqual([]);
  });

  test('valid for exactly TTL + grace on packet time, then gone', () => {
    const grace = 10e6;
    const x = cache(undefined, grace);
    x.add(DEV, IP, 'example.com', 60, T0);
    expect(x.names(DEV, IP, T0 + 60e6 + grace)).toEqual(['example.com']);
    expect(x.names(DEV, IP, T0 + 60e6 + grace + 1)).toEqual([]);
  });

  test('the default grace keeps a TTL-0 answer usable briefly', () => {
    const x = cache();
    x.add(DEV, IP, 'zero.example', 0, T0);
    expect(x.names(DEV, IP, T0 + DEFAULT_DNS_GRACE_MICROS)).toEqual(['zero.example']);
    expect(x.names(DEV, IP, T0 + DEFAULT_DNS_GRACE_MICROS + 1)).toEqual([]);
  });

  test('a lookup before the answer was seen still matches (time only limits the end)', () => {
    // Packet time can step back across merged captures; the cache keys validity on expiry only.
    const x = cache();
    x.add(DEV, IP, 'example.com', 60, T0);
    expect(x.names(DEV, IP, T0 - 1e6)).toEqual(['example.com']);
  });

  test('several names for one address: newest first, expired ones skipped', () => {
    const x = cache(undefined, 0);
    x.add(DEV, IP, 'a.example', 10, T0);
    x.add(DEV, IP, 'b.example', 100, T0 + 1e6);
    x.add(DEV, IP, 'c.example', 100, T0 + 2e6);
    expect(x.names(DEV, IP, T0 + 3e6)).toEqual(['c.example', 'b.example', 'a.example']);
    expect(x.names(DEV, IP, T0 + 20e6)).toEqual(['c.example', 'b.example']);
  });

  test('asking again for a name makes it the newest', () => {
    // Adversarial: a.example, then b.example, then a.example again on one CDN address; the flow
    // that follows belongs to the latest answer, so a.example must come first.
    const x = cache();
    x.add(DEV, IP, 'a.example', 60, T0);
    x.add(DEV, IP, 'b.example', 60, T0 + 1e6);
    x.add(DEV, IP, 'a.example', 60, T0 + 2e6);
    expect(x.names(DEV, IP, T0 + 3e6)).toEqual(['a.example', 'b.example']);
  });

  test('a refresh extends the expiry and never shortens it', () => {
    const x = cache(undefined, 0);
    x.add(DEV, IP, 'a.example', 100, T0);
    x.add(DEV, IP, 'a.example', 1, T0 + 1e6); // shorter TTL later
    expect(x.names(DEV, IP, T0 + 50e6)).toEqual(['a.example']);
    x.add(DEV, IP, 'a.example', 100, T0 + 90e6);
    expect(x.names(DEV, IP, T0 + 150e6)).toEqual(['a.example']);
  });

  test('the CNAME owner is kept beside the asked name', () => {
    const x = cache();
    x.add(DEV, IP, 'www.example.com', 60, T0, 'edge.cdn.example.net');
    expect(x.owners(DEV, IP, T0)).toEqual(['edge.cdn.example.net']);
  });

  test('IPv6 addresses and clients are kept apart from IPv4 and from each other', () => {
    const x = cache();
    x.add('2001:db8::10', '2600::1', 'v6.example', 60, T0);
    x.add('2001:db8::10', '2600::2', 'other.example', 60, T0);
    expect(x.names('2001:db8::10', '2600::1', T0)).toEqual(['v6.example']);
    expect(x.names('2001:db8::11', '2600::1', T0)).toEqual([]);
    // An IPv4 pair whose low words equal the IPv6 pair's is another entry.
    expect(x.names('0.0.0.16', '0.0.0.1', T0)).toEqual([]);
  });

  test('names per address are bounded: the oldest name is dropped', () => {
    // Adversarial: a CDN address answering for hundreds of names must not grow one entry without bound.
    const x = cache();
    for (let i = 0; i < 40; i++) x.add(DEV, IP, `n${i}.example`, 600, T0 + i);
    const got = x.names(DEV, IP, T0 + 100);
    expect(got.length).toBe(16); // MAX_NAMES_PER_ADDRESS
    expect(got[0]).toBe('n39.example');
    expect(got).not.toContain('n0.example');
  });

  test('the cache is bounded: the least recently answered pair is evicted and counted', () => {
    const x = cache(3);
    x.add(DEV, '203.0.113.1', 'one.example', 600, T0);
    x.add(DEV, '203.0.113.2', 'two.example', 600, T0);
    x.add(DEV, '203.0.113.3', 'three.example', 600, T0);
    x.add(DEV, '203.0.113.1', 'one.example', 600, T0 + 1); // refresh: .1 is now the newest
    x.add(DEV, '203.0.113.4', 'four.example', 600, T0 + 2);
    expect(x.c.size).toBe(3);
    expect(x.c.evicted).toBe(1);
    expect(x.names(DEV, '203.0.113.2', T0 + 3)).toEqual([]);
    expect(x.names(DEV, '203.0.113.1', T0 + 3)).toEqual(['one.example']);
    expect(x.names(DEV, '203.0.113.4', T0 + 3)).toEqual(['four.example']);
  });
});

describe('DnsCache against the reference model (the previous Map-based cache)', () => {
  // Few clients and addresses and a small cap: answers repeat, names pile up per pair, pairs are
  // evicted and the table is rebuilt (grown, or cleared of tombstones) many times.
  // Hot pairs (few addresses and names: names pile up and are answered again out of order) mixed
  // with many cold ones (evictions, tombstones and table rebuilds).
  const addr = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 3 }), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: 200 }), weight: 1 });
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('add' as const), v: fc.constantFrom(4, 6), a: addr, c: fc.integer({ min: 0, max: 3 }),
      name: fc.integer({ min: 0, max: 5 }), owner: fc.integer({ min: 0, max: 2 }), ttl: fc.integer({ min: 0, max: 100 }), dt: fc.integer({ min: 0, max: 5_000_000 }),
    }),
    fc.record({ kind: fc.constant('lookup' as const), v: fc.constantFrom(4, 6), a: addr, c: fc.integer({ min: 0, max: 3 }), dt: fc.integer({ min: 0, max: 5_000_000 }) }),
  );
  test('same names, same order, same size and evictions after every operation', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.array(op, { minLength: 300, maxLength: 1200 }), (cap, ops) => {
      const grace = 1_000_000;
      const ours = new DnsCache(cap, grace);
      const ref = new ReferenceDnsCache(cap, grace);
      let ts = T0;
      const touched = new Set<string>();
      for (const o of ops) {
        ts += o.dt;
        touched.add(`${o.v}:${o.a}:${o.c}`);
        // Address words that differ only in one word, so hash collisions and word checks matter.
        const aw = o.v === 4 ? [0, 0, 0, 0xc6336400 + o.a] : [0x20010db8, 0, o.a & 1, o.a];
        const cw = [0, 0, o.c & 1, 0xc0000200 + o.c];
        if (o.kind === 'add') {
          const name = `n${o.name}.example`;
          const owner = `o${o.owner}.example`;
          ours.add(o.v, aw[0], aw[1], aw[2], aw[3], cw[0], cw[1], cw[2], cw[3], name, owner, o.ttl, ts);
          ref.add(o.v, aw[0], aw[1], aw[2], aw[3], cw[0], cw[1], cw[2], cw[3], name, owner, o.ttl, ts);
        } else {
          expect(ours.lookup(o.v, aw[0], aw[1], aw[2], aw[3], cw[0], cw[1], cw[2], cw[3], ts))
            .toEqual(ref.lookup(o.v, aw[0], aw[1], aw[2], aw[3], cw[0], cw[1], cw[2], cw[3], ts));
        }
        expect(ours.size).toBe(ref.size);
        expect(ours.evicted).toBe(ref.evicted);
      }
      // The whole state at the end: every pair the operations touched, looked up at several
      // times so that every name's expiry is compared too.
      for (const key of touched) {
        const [v, a, c] = key.split(':').map(Number);
        const aw = v === 4 ? [0, 0, 0, 0xc6336400 + a] : [0x20010db8, 0, a & 1, a];
        const cw = [0, 0, c & 1, 0xc0000200 + c];
        for (const at of [ts - 60e6, ts, ts + 30e6, ts + 100e6]) {
          expect(ours.lookup(v, aw[0], aw[1], aw[2], aw[3], cw[0], cw[1], cw[2], cw[3], at))
            .toEqual(ref.lookup(v, aw[0], aw[1], aw[2], aw[3], cw[0], cw[1], cw[2], cw[3], at));
        }
      }
    }), { numRuns: 60 });
  });
});
