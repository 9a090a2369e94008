/**
 * LiveSource's fallback when the addon is absent: `tcpdump -w -` read through the incremental
 * pcap stream parser, forced with `backend: 'tcpdump'`. Also the EA_LIVE_UNAVAILABLE error when
 * neither exists. The capture suite needs root and tcpdump and skips itself, with the reason in
 * its title, without them; the unavailable-backend tests run everywhere.
 */
import { spawnSync } from 'child_process';
import { LiveSource } from '../../../src/capture/live';
import type { Frame } from '../../../src/capture/source';
import { netnsSkipReason, sendUdp, udpFrameLength, useVethPair, waitFor } from '../native/netns';

const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;
const skipReason = netnsSkipReason() ?? (hasTcpdump ? null : 'needs tcpdump (apt-get install tcpdump)');
const describeLive = skipReason === null ? describe : (name: string, fn: () => void) => describe.skip(`${name} [skipped: ${skipReason}]`, fn);

describe('no capture backend at all', () => {
  test('a missing tcpdump gives EA_LIVE_UNAVAILABLE with the exact fix', async () => {
    const src = new LiveSource('eth0', () => undefined, { backend: 'tcpdump', tcpdumpPath: '/nonexistent/tcpdump' });
    const err = await src.start().then(() => null, (e: unknown) => e as { code: string; message: string; hint: string });
    expect(err?.code).toBe('EA_LIVE_UNAVAILABLE');
    expect(err?.hint).toContain('apt-get install libpcap-dev, then npm rebuild');
  });

  test('without the addon (EGRESS_AUDIT_NATIVE=0) and without tcpdump, the error says both', async () => {
    const saved = process.env.EGRESS_AUDIT_NATIVE;
    process.env.EGRESS_AUDIT_NATIVE = '0';
    try {
      let live!: typeof import('../../../src/capture/live');
      jest.isolateModules(() => {
        live = require('../../../src/capture/live') as typeof import('../../../src/capture/live');
      });
      const src = new live.LiveSource('eth0', () => undefined, { tcpdumpPath: '/nonexistent/tcpdump' });
      await expect(src.start()).rejects.toMatchObject({
        code: 'EA_LIVE_UNAVAILABLE',
        message: expect.stringContaining('disabled by EGRESS_AUDIT_NATIVE=0') as unknown,
      });
      await expect(new live.LiveSource('eth0', () => undefined, { backend: 'native' }).start()).rejects.toMatchObject({ code: 'EA_LIVE_UNAVAILABLE' });
    } finally {
      if (saved === undefined) delete process.env.EGRESS_AUDIT_NATIVE;
      else process.env.EGRESS_AUDIT_NATIVE = saved;
    }
  });
});

describeLive('LiveSource (tcpdump fallback)', () => {
  const vethPair = useVethPair();

  test('delivers frames from the pcap stream with link type, lengths, timestamps and filter', async () => {
    const seen: { frame: Frame; ts: number; cap: number; wire: number; link: number; port: number; seq: number }[] = [];
    const src = new LiveSource(vethPair().rootIf, (f) => {
      const b = f.buf;
      const o = f.offset;
      seen.push({ frame: f, ts: f.tsMicros, cap: f.capturedLength, wire: f.wireLength, link: f.linkType, port: (b[o + 36] << 8) | b[o + 37], seq: b[o + 45] });
    }, { backend: 'tcpdump', filter: 'udp dst port 5555', snaplen: 65535 });
    await src.start();
    expect(src.backend).toBe('tcpdump');
    expect(src.linkType).toBe(1);
    const before = Date.now() * 1000;
    await sendUdp(vethPair(), [{ count: 4, size: 50, port: 6666 }, { count: 12, size: 100, port: 5555 }]);
    expect(await waitFor(() => seen.length >= 12)).toBe(true);
    const after = Date.now() * 1000;
    src.stats(); // asks tcpdump (SIGUSR1) for fresh counters
    await waitFor(() => src.stats().received >= 12, 2000);
    const running = src.stats();
    const final = await src.stop();
    expect(await src.ended).toBeNull();

    expect(seen.map((s) => s.seq)).toEqual([...Array(12).keys()]);
    expect(new Set(seen.map((s) => s.frame)).size).toBe(1);
    for (const s of seen) {
      expect(s).toMatchObject({ cap: udpFrameLength(100), wire: udpFrameLength(100), link: 1, port: 5555 });
      expect(s.ts).toBeGreaterThanOrEqual(before - 1_000_000);
      expect(s.ts).toBeLessThanOrEqual(after + 1000);
    }
    expect(running.received).toBeGreaterThanOrEqual(12);
    expect(final).toMatchObject({ received: 12, dropped: 0, delivered: 12 });
  });

  test('stop() with no traffic ends tcpdump promptly', async () => {
    const src = new LiveSource(vethPair().rootIf, () => undefined, { backend: 'tcpdump', filter: 'udp port 9' });
    await src.start();
    const t0 = Date.now();
    await src.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await src.ended).toBeNull();
  });

  test("tcpdump's failures map to the same codes as the addon's", async () => {
    await expect(new LiveSource('ea-none0', () => undefined, { backend: 'tcpdump' }).start()).rejects.toMatchObject({ code: 'EA_CAPTURE_NO_DEVICE' });
    await expect(new LiveSource(vethPair().rootIf, () => undefined, { backend: 'tcpdump', filter: 'udp port banana' }).start()).rejects.toMatchObject({
      code: 'EA_CAPTURE_FILTER',
    });
  });
});
