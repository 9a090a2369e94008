/**
 * `report --format` lists its choices without loading the renderers (start-up time); this keeps
 * that list equal to the formats src/report/bundle.ts can actually render.
 */
import { REPORT_FORMAT_NAMES } from '../../../src/cli/report-commands';
import { REPORT_FORMATS } from '../../../src/report/bundle';

test('report --format choices are exactly the renderable formats', () => {
  expect([...REPORT_FORMAT_NAMES].sort()).toEqual(Object.keys(REPORT_FORMATS).sort());
});
