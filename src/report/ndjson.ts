/**
 * NDJSON rendering: one JSON object per line, in the order records are final (flows as they
 * end, DNS queries as they are answered or their flow ends, the summary last). Pure
 * formatting: records in, text out; I/O is the OutputFile's job. JSON.stringify escapes
 * control characters and we escape U+0085/U+2028/U+2029, so a hostile name cannot break a line.
 */
import type { OutputRecord } from './records';

/** One record as one NDJSON line (with the newline). */
export function renderNdjsonLine(rec: OutputRecord): string {
  const json = JSON.stringify(rec);
  // JSON.stringify leaves U+2028, U+2029 and NEL raw; line splitters that follow Unicode
  // (Python's str.splitlines, some log shippers) would cut the record there.
  return (LINE_BREAKS.test(json) ? json.replace(LINE_BREAKS_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json) + '\n';
}

const LINE_BREAKS = /[\u0085\u2028\u2029]/;
const LINE_BREAKS_ALL = /[\u0085\u2028\u2029]/g;
