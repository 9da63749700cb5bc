// The conformance suite against the PKCS#11 adapter on a real SoftHSM2 token, created in a temporary folder.
import { createPkcs11Provider } from '../../../electron/providers/pkcs11/pkcs11Provider.ts';
import { createSoftHsmToken, removeSoftHsmFolder } from '../softhsm-kit.ts';
import { describeProviderConformance } from './suite.ts';

describeProviderConformance('pkcs11 (SoftHSM2)', async () => {
  const token = createSoftHsmToken('conf');
  const provider = createPkcs11Provider({ id: 'pkcs11-conformance', modulePath: token.modulePath, tokenLabel: token.label, pin: token.pin });
  return {
    provider,
    noFaultInjection:
      'A PKCS#11 token is a library in this process, not a service behind a network: there is nothing to throttle or drop. ' +
      'Token removal, wrong and locked PINs and a missing module are tested against SoftHSM2 in test/integration/pkcs11-errors.test.ts.',
    async cleanup() {
      await provider.close();
      await token.cleanup();
      removeSoftHsmFolder();
    },
  };
});
