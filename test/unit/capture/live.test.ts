/**
 * LiveSource over the native addon (src/capture/live.ts): frames, the reused Frame, link type,
 * stats, stop() and the one error-mapping function. Captures on the root end of a throwaway veth
 * pair (test/unit/native/netns.ts). Suites that need root or the addon skip themselves with the
 * reason in their title; the mapping and interface-list tests run everywhere.
 */
import {
  interfaceAddresses,
  listInterfaces,
  listInterfacesFromOs,
  LiveSource,
  loadNative,
  nativeUnavailableReason,
  toLiveCaptureError,
} from '../../../src/capture/live';
import type { Frame } from '../../../src/capture/source';
import { LiveCaptureError } from '../../../src/errors';
import { netnsSkipReason, sendUdp, udpFrameLength, useVethPair, waitFor } from '../native/netns';

const skipReason = netnsSkipReason() ?? (loadNative() === null ? `needs the native addon (${nativeUnavailableReason()}); build it: cd native && npm install` : null);
const describeLive = skipReason === null ? describe : (name: string, fn: () => void) => describe.skip(`${name} [skipped: ${skipReason}]`, fn);

/** What a test keeps of each frame (the frame itself is reused). */
interface Seen { frame: Frame; tsMicros: number; capturedLength: number; wireLength: number; linkType: number; dstPort: number; seq: number }

function record(seen: Seen[]): (frame: Frame) => void {
  return (frame) => {
    const b = frame.buf;
    const o = frame.offset;
    seen.push({
      frame,
      tsMicros: frame.tsMicros,
      capturedLength: frame.capturedLength,
      wireLength: frame.wireLength,
      linkType: frame.linkType,
      dstPort: (b[o + 36] << 8) | b[o + 37],
      seq: ((b[o + 42] << 24) | (b[o + 43] << 16) | (b[o + 44] << 8) | b[o + 45]) >>> 0,
    });
  };
}

describe('toLiveCaptureError (the one libpcap-code mapping)', () => {
  test.each([
    [0, 'a read timeout'],
    [17, 'a packet count'],
    [-2, 'PCAP_ERROR_BREAK: the end after close()'],
  ])('status %i is not an error (%s)', (status) => {
    expect(toLiveCaptureError('nextBatch', status, '', 'eth0')).toBeNull();
  });

  test.each([
    ['open', -8, '', 'EA_CAPTURE_PERMISSION'],
    ['open', -11, '', 'EA_CAPTURE_PERMISSION'],
    ['open', -1, 'socket: Operation not permitted', 'EA_CAPTURE_PERMISSION'],
    ['open', -5, 'No such device exists', 'EA_CAPTURE_NO_DEVICE'],
    ['nextBatch', -1, 'The interface disappeared: No such device', 'EA_CAPTURE_NO_DEVICE'],
    ['setFilter', -1, "syntax error in filter expression", 'EA_CAPTURE_FILTER'],
    ['open', -9, '', 'EA_CAPTURE_FAILED'],
    ['nextBatch', -1, 'recvfrom: Network is down', 'EA_CAPTURE_FAILED'],
  ])('%s status %i %j → %s', (op, status, detail, code) => {
    const err = toLiveCaptureError(op, status, detail, 'eth0');
    expect(err).toBeInstanceOf(LiveCaptureError);
    expect(err?.code).toBe(code);
    expect(err?.message).toMatch(/^[a-z]/); // messages start lowercase (STYLE.md)
    expect(err?.hint).toMatch(/\w/); // every error line comes with a hint
  });

  test('an interface that went away mid-capture says the report holds the traffic up to then', () => {
    const err = toLiveCaptureError('nextBatch', -1, 'The interface disappeared', 'eth0');
    expect(err).toMatchObject({ code: 'EA_CAPTURE_FAILED' });
    expect(err?.hint).toMatch(/report covers the traffic up to this point/);
  });

  test('the permission error tells the user how to get capture rights', () => {
    const err = toLiveCaptureError('open', -8, '', 'eth0');
    expect(err?.message).toBe('cannot open eth0 for capture: permission denied');
    expect(err?.hint).toContain('run as root');
    expect(err?.hint).toContain('setcap cap_net_raw,cap_net_admin+eip $(readlink -f $(which node))');
  });
});

describe('listInterfaces / interfaceAddresses', () => {
  test('loopback is listed with 127.0.0.1, IPv4 first', () => {
    const lo = listInterfaces().find((d) => d.loopback);
    expect(lo).toBeDefined();
    expect(interfaceAddresses(lo!.name)[0]).toMatchObject({ family: 'IPv4', address: '127.0.0.1' });
  });

  test('the addon-free list (/sys/class/net + os.networkInterfaces) agrees on loopback', () => {
    const lo = listInterfacesFromOs().find((d) => d.loopback);
    expect(lo).toMatchObject({ up: true });
    expect(lo?.addresses).toContainEqual({ family: 'IPv4', address: '127.0.0.1', netmask: '255.0.0.0' });
  });

  test('an unknown interface has no addresses', () => {
    expect(interfaceAddresses('ea-none0')).toEqual([]);
  });
});

describeLive('LiveSource (native backend)', () => {
  const vethPair = useVethPair();

  test('delivers each packet through one reused Frame with link type, lengths and timestamps', async () => {
    const seen: Seen[] = [];
    const src = new LiveSource(vethPair().rootIf, record(seen), { filter: 'udp', timeoutMs: 50, snaplen: 65535 });
    await src.start();
    expect(src.backend).toBe('native');
    expect(src.linkType).toBe(1);
    const before = Date.now() * 1000;
    await sendUdp(vethPair(), [{ count: 25, size: 100, port: 5555 }]);
    expect(await waitFor(() => seen.length >= 25)).toBe(true);
    const after = Date.now() * 1000;
    const running = src.stats();
    const final = await src.stop();
    expect(await src.ended).toBeNull();

    expect(seen.map((s) => s.seq)).toEqual([...Array(25).keys()]);
    expect(new Set(seen.map((s) => s.frame)).size).toBe(1);
    for (const s of seen) {
      expect(s).toMatchObject({ capturedLength: udpFrameLength(100), wireLength: udpFrameLength(100), linkType: 1, dstPort: 5555 });
      expect(s.tsMicros).toBeGreaterThanOrEqual(before - 1_000_000);
      expect(s.tsMicros).toBeLessThanOrEqual(after + 1000);
    }
    expect(running.delivered).toBe(25);
    expect(final).toMatchObject({ delivered: 25, dropped: 0 });
    expect(final.received).toBeGreaterThanOrEqual(25);
  });

  test('the BPF filter applies', async () => {
    const seen: Seen[] = [];
    const src = new LiveSource(vethPair().rootIf, record(seen), { filter: 'udp dst port 7777', immediate: true });
    await src.start();
    await sendUdp(vethPair(), [{ count: 5, size: 20, port: 5555 }, { count: 3, size: 20, port: 7777 }]);
    await waitFor(() => seen.length >= 3);
    await new Promise((r) => setTimeout(r, 100));
    await src.stop();
    expect(seen.map((s) => s.dstPort)).toEqual([7777, 7777, 7777]);
  });

  test('stop() with no traffic returns promptly and ends the capture', async () => {
    const src = new LiveSource(vethPair().rootIf, () => undefined, { filter: 'udp port 9', timeoutMs: 1000 });
    await src.start();
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await src.stop({ drainMs: 0 });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await src.ended).toBeNull();
    await src.stop(); // safe twice
  });

  test('stop() from inside the callback stops delivery at once (e.g. --count)', async () => {
    let n = 0;
    const src: LiveSource = new LiveSource(vethPair().rootIf, () => {
      if (++n === 3) void src.stop({ drainMs: 0 });
    }, { filter: 'udp' });
    await src.start();
    await sendUdp(vethPair(), [{ count: 10, size: 10, port: 5555 }]);
    expect(await src.ended).toBeNull();
    expect(n).toBe(3);
  });

  test('an exception in the callback ends the capture and is reported on `ended`', async () => {
    const src = new LiveSource(vethPair().rootIf, () => {
      throw new Error('bug in the pipeline');
    }, { filter: 'udp', immediate: true });
    await src.start();
    await sendUdp(vethPair(), [{ count: 1, size: 10, port: 5555 }]);
    expect((await src.ended)?.message).toBe('bug in the pipeline');
    await src.stop();
  });

  test('start() maps failures: missing interface and bad filter', async () => {
    await expect(new LiveSource('ea-none0', () => undefined).start()).rejects.toMatchObject({ code: 'EA_CAPTURE_NO_DEVICE' });
    await expect(new LiveSource(vethPair().rootIf, () => undefined, { filter: 'udp port banana' }).start()).rejects.toMatchObject({ code: 'EA_CAPTURE_FILTER' });
  });

  test('listInterfaces() through the addon includes the veth end', () => {
    expect(listInterfaces().find((d) => d.name === vethPair().rootIf)).toMatchObject({ up: true, loopback: false });
  });
});
