/**
 * Micro-benchmark of FrameDecoder.decode (+ decodeInner for VXLAN): loads classic-pcap frames
 * into memory once, then decodes them in a loop and prints ns/packet. Measures the decoder only
 * (no file reading, no flow table).
 *
 *   python3 ../shared/bench/make-bench-pcap.py --packets 1200000 --seed 1 --out /tmp/bench/bench.pcap
 *   npx tsc -p . && node dist/test/bench/decode-frame.bench.js [pcap] [--passes N] [--max-mb M]
 *
 * The default capture is $EGRESS_AUDIT_BENCH_PCAP or /tmp/bench/bench.pcap.
 */
import * as fs from 'fs';
import { AnomalyCounters, ANOMALY_NAMES } from '../../src/anomalies';
import { FrameDecoder } from '../../src/decode/decode-frame';
import { DecodeStatus, InnerKind } from '../../src/decode/packet-view';

interface Frames { buf: Buffer; offsets: Uint32Array; caplens: Uint32Array; wirelens: Uint32Array; ts: Float64Array; count: number; linkType: number }

/** Loads up to `maxBytes` of a classic pcap (either byte order, µs or ns) into parallel arrays. */
function loadPcap(file: string, maxBytes: number): Frames {
  const size = Math.min(fs.statSync(file).size, maxBytes);
  const buf = Buffer.allocUnsafe(size);
  const fd = fs.openSync(file, 'r');
  let got = 0;
  while (got < size) {
    const n = fs.readSync(fd, buf, got, size - got, got);
    if (n === 0) break;
    got += n;
  }
  fs.closeSync(fd);
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${file}: not a classic pcap`);
  const nanos = (le ? magic : buf.readUInt32BE(0)) === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20) & 0xffff;
  const cap = Math.floor(got / 60) + 1;
  const offsets = new Uint32Array(cap);
  const caplens = new Uint32Array(cap);
  const wirelens = new Uint32Array(cap);
  const ts = new Float64Array(cap);
  let count = 0;
  for (let o = 24; o + 16 <= got;) {
    const caplen = u32(o + 8);
    if (o + 16 + caplen > got) break;
    ts[count] = u32(o) * 1e6 + (nanos ? Math.floor(u32(o + 4) / 1000) : u32(o + 4));
    offsets[count] = o + 16;
    caplens[count] = caplen;
    wirelens[count] = u32(o + 12);
    count++;
    o += 16 + caplen;
  }
  return { buf, offsets, caplens, wirelens, ts, count, linkType };
}

/** Decodes frames [from, to); returns a checksum of the results so the work cannot be optimised away. */
function decodeRange(decoder: FrameDecoder, f: Frames, from: number, to: number): number {
  const view = decoder.view;
  const { buf, offsets, caplens, wirelens, ts, linkType } = f;
  let sum = 0;
  for (let i = from; i < to; i++) {
    let status = decoder.decode(buf, offsets[i], caplens[i], wirelens[i], linkType, ts[i]);
    sum += status + view.srcPort + view.payloadLength;
    while (status === DecodeStatus.Transport && view.innerKind !== InnerKind.None) {
      status = decoder.decodeInner(ts[i]);
      sum += status + view.srcPort;
    }
  }
  return sum;
}

/**
 * The pipeline decodes a frame right after the reader copied it into its 1 MiB window
 * (CHUNK_BYTES in open-capture.ts), so the headers are in cache. This measures that case:
 * `windows` windows of ~1 MiB spread over the file, each decoded `repeats` times; the first
 * repeat (cache-cold) is not timed.
 */
function hotRun(decoder: FrameDecoder, f: Frames, windows: number, repeats: number): { ns: number; cpuNs: number; packets: number; sink: number } {
  const windowBytes = 1024 * 1024;
  let ns = 0;
  let cpuNs = 0;
  let packets = 0;
  let sink = 0;
  for (let w = 0; w < windows; w++) {
    const from = Math.floor((w * f.count) / windows);
    let to = from;
    while (to < f.count && f.offsets[to] + f.caplens[to] - f.offsets[from] <= windowBytes) to++;
    sink += decodeRange(decoder, f, from, to);
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let r = 1; r < repeats; r++) sink += decodeRange(decoder, f, from, to);
    ns += Number(process.hrtime.bigint() - t0);
    const c1 = process.cpuUsage(c0);
    cpuNs += c1.user * 1000;
    packets += (to - from) * (repeats - 1);
  }
  return { ns, cpuNs, packets, sink };
}

function main(): void {
  const args = process.argv.slice(2);
  const flag = (name: string, dflt: number): number => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const file = args.find((a, i) => !a.startsWith('--') && (i === 0 || !args[i - 1].startsWith('--')))
    ?? process.env.EGRESS_AUDIT_BENCH_PCAP ?? '/tmp/bench/bench.pcap';
  const passes = flag('--passes', 5);
  const maxBytes = flag('--max-mb', 2048) * 1024 * 1024;
  if (!fs.existsSync(file)) {
    console.error(`no capture at ${file}; make one with: python3 ../shared/bench/make-bench-pcap.py --packets 1200000 --seed 1 --out ${file}`);
    process.exitCode = 2;
    return;
  }
  const frames = loadPcap(file, maxBytes);
  let wire = 0;
  for (let i = 0; i < frames.count; i++) wire += frames.wirelens[i];
  console.log(`${file}: ${frames.count} frames, ${(wire / 1e9).toFixed(3)} GB on the wire, link type ${frames.linkType}`);

  const anomalies = new AnomalyCounters();
  const decoder = new FrameDecoder(anomalies);
  let sink = decodeRange(decoder, frames, 0, frames.count); // warm-up: realistic type feedback for V8
  const hot: number[] = [];
  for (let p = 0; p < passes; p++) {
    const r = hotRun(decoder, frames, 64, 20);
    sink += r.sink;
    hot.push(r.cpuNs / r.packets);
    console.log(`hot pass ${p + 1}: ${(r.cpuNs / r.packets).toFixed(1)} ns/packet CPU time, ${(r.ns / r.packets).toFixed(1)} wall (${r.packets} packets, 64 x 1 MiB windows)`);
  }
  const t0 = process.hrtime.bigint();
  sink += decodeRange(decoder, frames, 0, frames.count);
  const coldNs = Number(process.hrtime.bigint() - t0) / frames.count;
  hot.sort((a, b) => a - b);
  // CPU time, not wall time: the bench machine is shared, and wall time counts the time we were descheduled.
  console.log(`decode, headers in cache (as in the pipeline), user CPU time: median ${hot[hot.length >> 1].toFixed(1)} ns/packet, best ${hot[0].toFixed(1)}`);
  console.log(`decode, one cold pass over the whole file (DRAM misses the reader would have paid): ${coldNs.toFixed(1)} ns/packet`);
  console.log(`checksum ${sink % 1000}`);
  console.log('non-flow (all passes):', JSON.stringify(decoder.nonFlow));
  const seen = ANOMALY_NAMES.filter((_, i) => anomalies.counts[i] > 0).map((n) => `${n}=${anomalies.counts[ANOMALY_NAMES.indexOf(n)]}`);
  console.log('anomalies (all passes):', seen.join(' '));
}
main();
