/**
 * What `egress-audit replay captures/<file> --format ndjson` must print for each capture the
 * project ships, as data: one `CaptureExpectation` per file (flows, DNS records, summary, exit
 * code), in the NDJSON field names of src/report/records.ts.
 *
 * The values are computed by the capture generator (test/gen/captures/) from the same scenario
 * that wrote the packets, and are rendered into each capture's `.md` sidecar. Never edit a value
 * here by hand: change the scenario and regenerate (`npx tsc -p . && node dist/test/gen/make-captures.js`).
 */
import { CAPTURE_DEFINITIONS, buildCapture } from '../gen/captures';
import type { CaptureExpectation } from '../gen/expectation';

export type { CaptureExpectation, DnsExpectation, FlowExpectation, SummaryExpectation } from '../gen/expectation';

/** Every shipped capture's expectation, in catalogue order. Building them takes well under a second. */
export const CAPTURE_EXPECTATIONS: readonly CaptureExpectation[] = CAPTURE_DEFINITIONS.map((d) => buildCapture(d).expect);
