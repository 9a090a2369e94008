/**
 * The capture link's state (src/capture/link-state.ts): readLinkState against a directory laid
 * out as /sys/class/net (the real files' formats: operstate text, flags in hex, decimal
 * carrier_down_count), and LinkMonitor turning readings into outages with a fake clock. The
 * same code against the kernel's own sysfs, with real `ip link set down/up` and a deleted
 * interface, runs in test/e2e/live-outages.test.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LinkMonitor, MAX_OUTAGES_LISTED, readLinkState, type LinkReading } from '../../../src/capture/link-state';
import { tempDir } from '../../helpers/packets';

const tmp = tempDir('linkstate');
afterAll(() => tmp.cleanup());

/** Writes IFACE's files as sysfs shows them. */
function sysfs(iface: string, operstate: string, flags: number, carrierDowns?: number): string {
  const dir = path.join(tmp.dir, 'net', iface);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'operstate'), `${operstate}\n`);
  fs.writeFileSync(path.join(dir, 'flags'), `0x${flags.toString(16)}\n`);
  if (carrierDowns !== undefined) fs.writeFileSync(path.join(dir, 'carrier_down_count'), `${carrierDowns}\n`);
  return path.join(tmp.dir, 'net');
}

describe('readLinkState', () => {
  test.each([
    ['up', 0x1003, 'up', 'an Ethernet or veth link passing traffic'],
    ['unknown', 0x1003, 'up', 'a link without carrier reporting (tun, lo) counts as up'],
    ['down', 0x1002, 'down', 'ip link set down: IFF_UP cleared'],
    ['lowerlayerdown', 0x1003, 'down', 'administratively up, carrier lost (cable out, peer down)'],
    ['dormant', 0x1003, 'down', 'Wi-Fi or 802.1X not associated yet'],
    ['up', 0x1002, 'down', 'IFF_UP cleared wins over an operstate not updated yet'],
  ])('operstate %s, flags %s → %s (%s)', (oper, flags, state) => {
    const root = sysfs('eth0', oper as string, flags as number, 3);
    expect(readLinkState('eth0', root)).toEqual({ state, carrierDowns: 3 });
  });

  test('an interface that no longer exists is gone; without sysfs the state is unknown', () => {
    const root = sysfs('eth1', 'up', 0x1003);
    expect(readLinkState('eth9', root)).toEqual({ state: 'gone', carrierDowns: null });
    expect(readLinkState('eth0', path.join(tmp.dir, 'no-sysfs'))).toEqual({ state: 'unknown', carrierDowns: null });
    expect(readLinkState('eth1', root).carrierDowns).toBeNull(); // kernels before 4.16 have no counter
  });
});

describe('LinkMonitor', () => {
  /** A monitor over scripted readings, one per poll (the first is the constructor's), and a clock that moves 1 s per reading. */
  function scripted(readings: LinkReading[]): { mon: LinkMonitor; polls: () => ReturnType<LinkMonitor['poll']>[] } {
    let i = 0;
    let t = 1_700_000_000;
    const mon = new LinkMonitor('eth0', () => t, () => {
      const r = readings[Math.min(i, readings.length - 1)];
      i++;
      t += 1;
      return r;
    });
    return { mon, polls: () => readings.slice(1).map(() => mon.poll()) };
  }
  const up = (downs: number): LinkReading => ({ state: 'up', carrierDowns: downs });
  const down = (downs: number): LinkReading => ({ state: 'down', carrierDowns: downs });

  test('down, then up two readings later: one outage with its start, end and length', () => {
    const { mon, polls } = scripted([up(0), up(0), down(1), down(1), up(1), up(1)]);
    const events = polls();
    expect(events.map((e) => e?.kind ?? null)).toEqual([null, 'down', null, 'up', null]);
    expect(mon.outages).toEqual([{ start: 1_700_000_003, end: 1_700_000_005, seconds: 2 }]);
    expect(mon).toMatchObject({ count: 1, downSeconds: 2, downSince: null });
  });

  test('a flap between two readings still counts: the carrier counter moved (its length is unknown)', () => {
    const { mon, polls } = scripted([up(4), up(4), up(6), up(6)]);
    expect(polls()).toEqual([null, { kind: 'flap', at: 1_700_000_003, count: 2 }, null]);
    expect(mon.outages).toEqual([{ start: 1_700_000_002, end: 1_700_000_003, seconds: null }]);
    expect(mon.count).toBe(1);
  });

  test('still down at the end: the outage has no end; a link down from the start (no carrier) is an outage from the first reading', () => {
    const a = scripted([up(0), down(1), down(1)]);
    a.polls();
    expect(a.mon.outages).toEqual([{ start: 1_700_000_002, end: null, seconds: null }]);
    expect(a.mon.downSince).toBe(1_700_000_002);
    const b = scripted([down(0), up(0)]);
    expect(b.polls()).toEqual([{ kind: 'up', at: 1_700_000_002, seconds: 1 }]);
    expect(b.mon.outages).toEqual([{ start: 1_700_000_001, end: 1_700_000_002, seconds: 1 }]);
  });

  test('an interface that disappears is an outage that says so', () => {
    const { mon, polls } = scripted([up(0), { state: 'gone', carrierDowns: null }]);
    expect(polls()).toEqual([{ kind: 'down', at: 1_700_000_002, gone: true }]);
    expect(mon.downSince).toBe(1_700_000_002);
  });

  test('a capture device sysfs does not list when the capture opens it (libpcap\'s `any`, `nflog`): no link to follow, no outage', () => {
    const { mon, polls } = scripted([{ state: 'gone', carrierDowns: null }, { state: 'gone', carrierDowns: null }, down(1)]);
    expect(mon.enabled).toBe(false);
    expect(polls()).toEqual([null, null]);
    expect(mon).toMatchObject({ count: 0, downSince: null, outages: [] });
  });

  test('where the state cannot be read (no sysfs), the monitor is off and reports nothing', () => {
    const { mon, polls } = scripted([{ state: 'unknown', carrierDowns: null }, down(1), up(2)]);
    expect(mon.enabled).toBe(false);
    expect(polls()).toEqual([null, null]);
    expect(mon.count).toBe(0);
  });

  test(`a link that keeps flapping lists the first ${MAX_OUTAGES_LISTED} outages and counts them all`, () => {
    const readings: LinkReading[] = [up(0)];
    for (let i = 1; i <= MAX_OUTAGES_LISTED + 20; i++) readings.push(down(i), up(i));
    const { mon, polls } = scripted(readings);
    polls();
    expect(mon.outages).toHaveLength(MAX_OUTAGES_LISTED);
    expect(mon.count).toBe(MAX_OUTAGES_LISTED + 20);
    expect(mon.downSeconds).toBe(MAX_OUTAGES_LISTED + 20);
  });
});
