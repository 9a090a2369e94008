/**
 * The libpcap addon (native/), one test per call: open, setFilter, nextBatch, stats, close,
 * listInterfaces, plus the error codes live.ts maps. Captures on the root end of a veth pair whose
 * other end sits in a throwaway namespace (test/unit/native/netns.ts). Skips itself, with the reason
 * in the suite title, when not root or when the addon is not built; it never passes silently.
 */
import { spawn, spawnSync } from 'child_process';
import * as path from 'path';
import { loadNative, nativeUnavailableReason, toLiveCaptureError, type NativeBinding, type NativeHandle } from '../../../src/capture/live';
import { netnsSkipReason, sendUdp, udpFrameLength, useVethPair, waitFor } from './netns';

const NATIVE_DIR = path.resolve(__dirname, '../../../native');
const native = loadNative();
const skipReason = netnsSkipReason() ?? (native === null ? `needs the native addon (${nativeUnavailableReason()}); build it: cd native && npm install` : null);
const describeLive = skipReason === null ? describe : (name: string, fn: () => void) => describe.skip(`${name} [skipped: ${skipReason}]`, fn);

/** One packet copied out of a batch. */
interface Rec { tsMicros: number; caplen: number; wirelen: number; bytes: Uint8Array }

/** Parses a batch with the layout documented in native/src/capture.c, copying each packet. */
function parseBatch(buf: Uint8Array, count: number, out: Rec[]): void {
  const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2);
  let off = 0;
  for (let i = 0; i < count; i++) {
    const w = off >>> 2;
    const caplen = words[w + 2];
    out.push({ tsMicros: words[w] * 1e6 + words[w + 1], caplen, wirelen: words[w + 3], bytes: buf.slice(off + 16, off + 16 + caplen) });
    off += 16 + ((caplen + 3) & ~3);
  }
}

/** Reads batches into `recs` until the handle is closed; resolves with the batch counts seen. */
async function readAll(n: NativeBinding, h: NativeHandle, buf: Uint8Array, recs: Rec[]): Promise<number[]> {
  const counts: number[] = [];
  for (;;) {
    const c = await n.nextBatch(h, buf);
    counts.push(c);
    if (c < 0) return counts;
    parseBatch(buf, c, recs);
  }
}

/** UDP destination port of an Ethernet/IPv4/UDP frame (IHL 5). */
function dstPort(r: Rec): number {
  return (r.bytes[36] << 8) | r.bytes[37];
}

/** The sequence number netns.sendUdp writes at the start of each payload. */
function seq(r: Rec): number {
  return ((r.bytes[42] << 24) | (r.bytes[43] << 16) | (r.bytes[44] << 8) | r.bytes[45]) >>> 0;
}

// Runs everywhere, so this file is never entirely skipped and jest prints the skip reason above.
test('loadNative() either loads the addon or says why it cannot', () => {
  if (native === null) expect(nativeUnavailableReason()).not.toBe('');
  else expect(Object.keys(native)).toEqual(expect.arrayContaining(['open', 'setFilter', 'nextBatch', 'stats', 'close', 'listInterfaces']));
});

describeLive('native addon (libpcap)', () => {
  const n = native as NativeBinding;
  const vethPair = useVethPair();

  /** Opens the root end, runs `send`, waits for `expected` packets, closes; returns what was read. */
  async function capture(options: { snaplen?: number; filter?: string; bufferBytes?: number }, send: () => Promise<void>, expected: number): Promise<{ recs: Rec[]; counts: number[]; stats: ReturnType<NativeBinding['stats']> }> {
    const h = n.open(vethPair().rootIf, { snaplen: options.snaplen ?? 65535, promisc: false, bufferBytes: 4 << 20, timeoutMs: 50, immediate: false });
    if (options.filter !== undefined) n.setFilter(h, options.filter);
    const buf = new Uint8Array(options.bufferBytes ?? 1 << 20);
    const recs: Rec[] = [];
    const reading = readAll(n, h, buf, recs);
    try {
      await send();
      await waitFor(() => recs.length >= expected, 5000);
      await new Promise((r) => setTimeout(r, 150)); // room for anything unexpected to show up too
      // Read the counters once the pending batch has ended after close(), as LiveCapture.stop()
      // does: while a batch is pending, stats() answers from a cache refreshed at most every
      // STATS_REFRESH_NS (native/src/capture.c), and a close() that finds a batch pending is
      // completed (final counters read) only when that batch returns. Read before that, the
      // counters were stale under load (22 of 50 packets counted in one CI run).
      n.close(h);
      const counts = await reading;
      const stats = n.stats(h);
      return { recs, counts, stats };
    } finally {
      n.close(h);
    }
  }

  test('listInterfaces() reports the veth end and loopback with its addresses', () => {
    const all = n.listInterfaces();
    const veth = all.find((d) => d.name === vethPair().rootIf);
    expect(veth).toMatchObject({ up: true, loopback: false, addresses: [] });
    const lo = all.find((d) => d.loopback);
    expect(lo?.addresses).toContainEqual({ family: 'IPv4', address: '127.0.0.1', netmask: '255.0.0.0', broadcast: null });
    expect(typeof n.libpcapVersion).toBe('string');
  });

  test('open() returns a handle with the link type and snaplen', () => {
    const h = n.open(vethPair().rootIf, { snaplen: 1500, promisc: true, bufferBytes: 1 << 20, timeoutMs: 100, immediate: true });
    try {
      expect(h.linkType).toBe(1); // LINKTYPE_ETHERNET
      expect(h.snaplen).toBe(1500);
      expect(h.warning).toBeNull();
    } finally {
      n.close(h);
    }
  });

  test('open() on a missing interface fails with PCAP_ERROR_NO_SUCH_DEVICE → EA_CAPTURE_NO_DEVICE', () => {
    let thrown: unknown;
    try {
      n.open('ea-none0', { snaplen: 100, promisc: false, bufferBytes: 0, timeoutMs: 10, immediate: false });
    } catch (e) {
      thrown = e;
    }
    const e = thrown as { op: string; pcapStatus: number; message: string };
    expect(e).toMatchObject({ op: 'open', pcapStatus: -5 });
    expect(toLiveCaptureError(e.op, e.pcapStatus, e.message, 'ea-none0')?.code).toBe('EA_CAPTURE_NO_DEVICE');
  });

  test('open() without capture rights fails with PCAP_ERROR_PERM_DENIED → EA_CAPTURE_PERMISSION', () => {
    // A child that loads the addon as root, then becomes nobody (setuid drops the capabilities),
    // so the capture socket is refused. It switches itself after loading so the checkout need
    // not be readable by nobody (a clone in a 0700 temporary directory is not).
    const script = `const n = require(${JSON.stringify(NATIVE_DIR)}); process.setgroups([65534]); process.setgid(65534); process.setuid(65534);
      try { n.open(${JSON.stringify(vethPair().rootIf)}, {}); console.log('{}'); }
      catch (e) { console.log(JSON.stringify({ op: e.op, pcapStatus: e.pcapStatus, message: e.message })); }`;
    const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: '/' });
    expect(res.stderr).toBe('');
    const e = JSON.parse(res.stdout) as { op: string; pcapStatus: number; message: string };
    expect(e).toMatchObject({ op: 'open', pcapStatus: -8 });
    const mapped = toLiveCaptureError(e.op, e.pcapStatus, e.message, vethPair().rootIf);
    expect(mapped?.code).toBe('EA_CAPTURE_PERMISSION');
    expect(mapped?.hint).toContain('setcap cap_net_raw,cap_net_admin+eip');
  });

  test('nextBatch() delivers every packet with timestamps, lengths and bytes, in batches', async () => {
    const before = Date.now() * 1000;
    const { recs, counts } = await capture({ filter: 'udp' }, () => sendUdp(vethPair(), [{ count: 20, size: 100, port: 5555 }]), 20);
    const after = Date.now() * 1000;
    expect(recs.map(seq)).toEqual([...Array(20).keys()]);
    for (const r of recs) {
      expect(r.caplen).toBe(udpFrameLength(100));
      expect(r.wirelen).toBe(udpFrameLength(100));
      expect(dstPort(r)).toBe(5555);
      expect(r.tsMicros).toBeGreaterThanOrEqual(before - 1000);
      expect(r.tsMicros).toBeLessThanOrEqual(after + 1000);
    }
    for (let i = 1; i < recs.length; i++) expect(recs[i].tsMicros).toBeGreaterThanOrEqual(recs[i - 1].tsMicros);
    expect(counts[counts.length - 1]).toBe(-2); // the end after close() is a count, not an error
    expect(counts.filter((c) => c > 0).length).toBeLessThan(20); // more than one packet per crossing
  });

  test('snaplen truncates: caplen = snaplen, wirelen = the real length', async () => {
    const { recs } = await capture({ snaplen: 64, filter: 'udp' }, () => sendUdp(vethPair(), [{ count: 3, size: 200, port: 5555 }]), 3);
    expect(recs).toHaveLength(3);
    for (const r of recs) expect([r.caplen, r.wirelen]).toEqual([64, udpFrameLength(200)]);
  });

  test('setFilter() keeps only matching packets; a bad filter maps to EA_CAPTURE_FILTER', async () => {
    const { recs } = await capture(
      { filter: 'udp dst port 5555' },
      () => sendUdp(vethPair(), [{ count: 5, size: 10, port: 6666 }, { count: 5, size: 10, port: 5555 }]),
      5,
    );
    expect(recs.map(dstPort)).toEqual([5555, 5555, 5555, 5555, 5555]);

    const h = n.open(vethPair().rootIf, { snaplen: 100, promisc: false, bufferBytes: 0, timeoutMs: 10, immediate: false });
    try {
      let thrown: { op: string; pcapStatus: number; message: string } | undefined;
      try {
        n.setFilter(h, 'udp dst port nonsense-port');
      } catch (e) {
        thrown = e as typeof thrown;
      }
      expect(thrown?.op).toBe('setFilter');
      expect(toLiveCaptureError(thrown!.op, thrown!.pcapStatus, thrown!.message, vethPair().rootIf)?.code).toBe('EA_CAPTURE_FILTER');
    } finally {
      n.close(h);
    }
  });

  test('a buffer that holds one packet still delivers all of them, in order (spill path)', async () => {
    const snaplen = 256;
    const { recs, counts, stats } = await capture({ snaplen, filter: 'udp', bufferBytes: 16 + snaplen }, () => sendUdp(vethPair(), [{ count: 30, size: 100, port: 5555 }]), 30);
    expect(recs.map(seq)).toEqual([...Array(30).keys()]);
    expect(Math.max(...counts)).toBe(1);
    expect(stats.spill_lost).toBe(0);
  });

  test('stats() counts received packets and reports no drops', async () => {
    const { recs, stats } = await capture({ filter: 'udp' }, () => sendUdp(vethPair(), [{ count: 50, size: 64, port: 5555 }]), 50);
    expect(recs).toHaveLength(50);
    expect(stats.ps_recv).toBeGreaterThanOrEqual(50);
    expect(stats).toMatchObject({ ps_drop: 0, spill_lost: 0 });
    expect(stats.ps_ifdrop).toBeGreaterThanOrEqual(0);
  });

  test('close() with no traffic unblocks a pending nextBatch promptly; later calls end at once', async () => {
    const h = n.open(vethPair().rootIf, { snaplen: 100, promisc: false, bufferBytes: 0, timeoutMs: 1000, immediate: false });
    n.setFilter(h, 'udp port 9'); // nothing will match
    const buf = new Uint8Array(1 << 16);
    const pending = n.nextBatch(h, buf);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    n.close(h);
    expect(await pending).toBe(-2);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await n.nextBatch(h, buf)).toBe(-2);
    expect(n.stats(h).ps_drop).toBe(0); // final counters stay readable
    n.close(h); // idempotent
  });

  test('close() lets the process exit while a read is pending', async () => {
    const script = `const n = require(${JSON.stringify(NATIVE_DIR)});
      const h = n.open(${JSON.stringify(vethPair().rootIf)}, { timeoutMs: 1000 });
      n.setFilter(h, 'udp port 9');
      n.nextBatch(h, new Uint8Array(1 << 20)).then((c) => console.log('resolved', c));
      setTimeout(() => n.close(h), 200);`;
    const t0 = Date.now();
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (c) => {
        clearTimeout(killer);
        resolve({ code: c, out });
      });
    });
    expect({ code, out: out.trim() }).toEqual({ code: 0, out: 'resolved -2' });
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  test('nextBatch() rejects misuse: a buffer smaller than one packet, or a second pending call', async () => {
    const h = n.open(vethPair().rootIf, { snaplen: 1000, promisc: false, bufferBytes: 0, timeoutMs: 10, immediate: false });
    try {
      expect(() => n.nextBatch(h, new Uint8Array(100))).toThrow(/hold 16 \+ snaplen bytes/); // a RangeError from the addon's realm
      const buf = new Uint8Array(1 << 16);
      const pending = n.nextBatch(h, buf);
      expect(() => n.nextBatch(h, buf)).toThrow(/already pending/);
      expect(() => n.setFilter(h, 'udp')).toThrow(/pending/);
      n.close(h);
      expect(await pending).toBeLessThanOrEqual(0);
    } finally {
      n.close(h);
    }
  });
});
