// The bench of the station tests that run the station without a console: the in-process test CA (robot-sim/testCa.ts)
// and a temp folder holding its certificate, for the simulators' key stores and work files.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { tempDir, writeCaFile } from '../../robot-sim/harness.ts';
import { createTestCa, type TestCa } from '../../robot-sim/testCa.ts';

export interface TestCaBench {
  /** The test CA, created once for the file (beforeAll). */
  readonly ca: TestCa;
  /** Its certificate, written to `root`/fleet-ca.pem: what the simulators trust. */
  readonly caFile: string;
  /** The temp folder of the file (station-it-*), removed after its tests (afterAll). */
  readonly root: string;
}

/** Registers the file's beforeAll (test CA, temp folder, certificate) and afterAll (folder removed); call at top level. */
export function useTestCaBench(): TestCaBench {
  const bench = { ca: undefined as unknown as TestCa, caFile: '', root: '' };
  beforeAll(async () => {
    bench.ca = await createTestCa();
    bench.root = tempDir('station-it-');
    bench.caFile = writeCaFile(bench.root, bench.ca.caCertPem);
  });
  afterAll(() => rmSync(bench.root, { recursive: true, force: true }));
  return bench;
}
