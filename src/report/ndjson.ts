/**
 * NDJSON rendering: one JSON object per line, in the order records are final (flows as they
 * end, DNS queries as they are answered or their flow ends, the summary last). Pure
 * formatting: records in, text out; I/O is the OutputFile's job. JSON.stringify escapes
 * control characters, so a hostile name cannot break a line.
 */
import type { OutputRecord } from './records';

/** One record as one NDJSON line (with the newline). */
export function renderNdjsonLine(rec: OutputRecord): string {
  return JSON.stringify(rec) + '\n';
}
