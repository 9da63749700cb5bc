// The slots of a PKCS#11 module as the channels describe them (providers:slots for the Providers screen,
// operators:tokenSlots for binding a token as a second factor): the module path passes the provider module policy
// first; nothing logs in, no PIN is needed.
import type { z } from 'zod';
import { ConsoleError } from '../../../shared/errors.ts';
import type { Pkcs11SlotList } from '../../../shared/operatorsContract.ts';
import { isProviderError } from '../types.ts';
import { checkPkcs11ModulePath } from './modulePolicy.ts';
import { listSlots } from './pkcs11Provider.ts';

export async function moduleSlots(modulePath: string): Promise<z.infer<typeof Pkcs11SlotList>> {
  checkPkcs11ModulePath(modulePath);
  try {
    const slots = await listSlots(modulePath);
    return {
      slots: slots.map((s) => ({
        slotId: s.slotId,
        description: [s.manufacturer, s.model].filter(Boolean).join(' ') || `slot ${s.slotId}`,
        tokenPresent: s.tokenPresent,
        tokenLabel: s.tokenLabel,
        manufacturer: s.manufacturer,
        model: s.model,
        serial: s.serial,
        loginRequired: s.flags.includes('LOGIN_REQUIRED'),
      })),
    };
  } catch (e) {
    if (isProviderError(e)) throw new ConsoleError('provider_unavailable', e.message, { field: 'pkcs11_module' });
    throw e;
  }
}
