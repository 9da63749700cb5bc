// zod compiles parsers with new Function() unless told not to, and even its probe for that ("can I eval?") is a
// script-src violation under our CSP (no 'unsafe-eval'), seen by test/e2e/shell-a11y.spec.ts. main.tsx imports this
// module first, so the setting is in place before any schema module is evaluated.
import { z } from 'zod';

z.config({ jitless: true });
