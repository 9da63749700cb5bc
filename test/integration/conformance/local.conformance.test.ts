// The conformance suite against the local provider: a real store database in a temp folder and a real keyring.
import { afterAll } from 'vitest';
import { localFixture } from '../../unit/provider-testkit.ts';
import { removeTempDirs } from '../../unit/store-testkit.ts';
import { describeProviderConformance } from './suite.ts';

afterAll(() => removeTempDirs());

describeProviderConformance('local', async () => {
  const f = localFixture();
  return {
    provider: f.provider,
    async cleanup() {
      await f.provider.close();
      f.close();
    },
  };
});
