/**
 * The replay progress bar: drawn only on a terminal, throttled, cleared at the end, and its
 * line says bytes done of total, packets per second and time left.
 */
import { formatEta, formatProgressLine, ProgressBar, progressFor } from '../../../src/cli/progress';

test('a line with bytes of total, packets/s and ETA', () => {
  expect(formatProgressLine(512 * 1024, 1024 * 1024, 50_000, 2000)).toBe('replay [############------------]  50%  512 KiB / 1.0 MiB  25.0k pkt/s  ETA 0:02');
  expect(formatProgressLine(2048, null, 10, 1000)).toBe('replay 2.0 KiB  10 pkt/s');
  expect(formatEta(3725)).toBe('1:02:05');
  expect(formatEta(Infinity)).toBe('--:--');
});

test('nothing at all when stderr is not a terminal', () => {
  const writes: string[] = [];
  expect(progressFor(['x.pcap'], { isTTY: false, write: (s: string) => writes.push(s) })).toBeUndefined();
  expect(progressFor(['x.pcap'], { write: (s: string) => writes.push(s) })).toBeUndefined();
  expect(writes).toEqual([]);
});

test('redraws at most every 100 ms and clears its line at the end', () => {
  const writes: string[] = [];
  let now = 0;
  const bar = new ProgressBar(1000, (s) => writes.push(s), () => now);
  now = 200; bar.update({ bytes: 100, packets: 10, done: false });
  now = 250; bar.update({ bytes: 200, packets: 20, done: false });
  now = 400; bar.update({ bytes: 300, packets: 30, done: false });
  bar.update({ bytes: 1000, packets: 99, done: true });
  expect(writes).toHaveLength(3);
  expect(writes[0]).toMatch(/^\r\x1b\[2Kreplay \[/);
  expect(writes[2]).toBe('\r\x1b[2K');
});
