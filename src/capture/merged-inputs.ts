/**
 * Several capture files read as one stream in packet-time order, as mergecap merges them and
 * Zeek reads several `-r` sources: captures taken at the same time on two interfaces (a
 * device's Wi-Fi and its wired uplink) interleave, so the DNS answer seen on one is in hand
 * before the connection seen on the other, and idle timeouts run on one clock. Rotated files
 * (`tcpdump -C`/`-G`) follow one another in time and come out exactly as if read one by one.
 *
 * Each file is opened once to read its first timestamp, then opened for good only when the
 * merge reaches that time, and closed when it runs dry: a thousand rotated files hold one or
 * two read windows at a time, never a thousand. Standard input cannot be opened twice; it is
 * opened first and stays open. Equal timestamps go in command-line order.
 *
 * Never throws: a file that cannot be opened becomes its `openError`; read problems are the
 * reader's `issues`. Per packet the merge costs one comparison per open input.
 */
import type { AnomalyCounters } from '../anomalies';
import { AnomalyCounters as Counters } from '../anomalies';
import { openCapture } from './open-capture';
import { CaptureIssue, Frame, InputInfo, fileBytesRead, newFrame, PacketSource } from './source';

/** What reading one input gave, in command-line order. */
export interface InputOutcome {
  file: string;
  /** The reader's summary; null when the file could not be opened. */
  info: InputInfo | null;
  /** The reader's issues, or the one that kept the file from opening. */
  issues: CaptureIssue[];
  /** True when the file could not be opened at all. */
  openFailed: boolean;
  /** Packets of this input whose link type the decoder does not support (they were skipped). */
  unsupported: number;
}

/** The issue for an input that could not be opened (openCapture threw): data lost, exit 2. */
export function openFailure(file: string, err: unknown): CaptureIssue {
  const e = err as { code?: string; message: string; hint?: string };
  return { code: e.code ?? 'EA_CAPTURE_READ', file, offset: 0, message: e.message, dataLost: true, hint: e.hint };
}

interface Pending {
  index: number;
  firstTs: number;
}

interface Open {
  index: number;
  src: PacketSource;
  frame: Frame;
}

/**
 * Reads `files` merged by packet time into `onFrame` (the frame is valid during the call only).
 * `isSupported(linkType)` says which packets the decoder will analyse (the rest are counted per
 * input); `onProgress(bytes)` is called every `progressEvery` packets with the file bytes read
 * so far over all inputs (compressed bytes for a compressed file).
 */
export function readMerged(
  files: readonly string[],
  anomalies: AnomalyCounters,
  onFrame: (frame: Frame) => void,
  isSupported: (linkType: number) => boolean,
  progressEvery: number,
  onProgress?: (bytes: number) => void,
): InputOutcome[] {
  const outcomes: InputOutcome[] = files.map((file) => ({ file, info: null, issues: [], openFailed: false, unsupported: 0 }));
  const open: Open[] = [];
  const pending: Pending[] = [];
  let bytesDone = 0;

  const fail = (index: number, err: unknown): void => {
    outcomes[index].openFailed = true;
    outcomes[index].issues.push(openFailure(files[index], err));
  };
  /** Opens input `index` for good and reads its first packet; an empty input finishes at once. */
  const start = (index: number): void => {
    let src: PacketSource;
    try {
      src = openCapture(files[index], anomalies);
    } catch (err) {
      fail(index, err);
      return;
    }
    const o: Open = { index, src, frame: newFrame() };
    if (src.next(o.frame)) open.push(o);
    else finish(o);
  };
  const finish = (o: Open): void => {
    o.src.close();
    const info = o.src.info();
    outcomes[o.index].info = info;
    outcomes[o.index].issues.push(...o.src.issues);
    bytesDone += fileBytesRead(info);
  };

  // First timestamps, from a throwaway read of each file's first packet (its anomalies and
  // issues are counted when the file is read for good).
  const peekFrame = newFrame();
  for (let i = 0; i < files.length; i++) {
    if (files[i] === '-') {
      start(i);
      continue;
    }
    try {
      const src = openCapture(files[i], new Counters());
      const first = src.next(peekFrame) ? peekFrame.tsMicros : Infinity;
      src.close();
      pending.push({ index: i, firstTs: first });
    } catch (err) {
      fail(i, err);
    }
  }
  pending.sort((a, b) => a.firstTs - b.firstTs || a.index - b.index);

  let next = 0;
  let packets = 0;
  for (;;) {
    // The earliest open input (ties: command-line order).
    let best = -1;
    for (let i = 0; i < open.length; i++) {
      const o = open[i];
      if (best < 0) { best = i; continue; }
      const b = open[best];
      if (o.frame.tsMicros < b.frame.tsMicros || (o.frame.tsMicros === b.frame.tsMicros && o.index < b.index)) best = i;
    }
    // Open every input whose first packet is due (at or before the earliest open one).
    if (next < pending.length && (best < 0 || pending[next].firstTs <= open[best].frame.tsMicros)) {
      start(pending[next++].index);
      continue;
    }
    if (best < 0) break;
    const o = open[best];
    if (!isSupported(o.frame.linkType)) outcomes[o.index].unsupported++;
    onFrame(o.frame);
    if (onProgress && (++packets & (progressEvery - 1)) === 0) {
      let bytes = bytesDone;
      for (const x of open) bytes += fileBytesRead(x.src.info());
      onProgress(bytes);
    }
    if (!o.src.next(o.frame)) {
      open.splice(best, 1);
      finish(o);
    }
  }
  return outcomes;
}
