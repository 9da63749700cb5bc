// Which end-to-end spec files run in which test tier (docs/testing.md). Every spec runs in CI; the fast tier
// (`npm test`, 6-minute budget on 2 cores) keeps one journey per area, and the slow tier (`npm run test:slow`) takes
// the long sweeps: axe on every dialog, the keyboard journey, the fault matrices and the screens' full journeys.
// A new spec file runs in the fast tier unless it is listed here.
export const SLOW_E2E_SPECS = [
  'fleet-dialogs.spec.ts', // every fleet dialog with axe, focus return and field errors
  'keys-design.spec.ts', // the Keys screen's layout, split panel, file tester and typed-label destroy
  'shell-a11y.spec.ts', // axe, CSP, deep link and title on every screen
  'keys.spec.ts', // the whole key lifecycle through the UI
  'station-modes.spec.ts', // re-provisioning and distribute mode with its faults, on ptys
  'station-faults.spec.ts', // the provisioning fault matrix on ptys
  'providers.spec.ts', // provider add/edit/migrate against the emulators
  'providers-hsm.spec.ts', // the PKCS#11 provider against SoftHSM2 through the UI
  'rotation.spec.ts', // the Rotation schedules screen
  'audit-viewer.spec.ts', // the audit viewer's filters and range picker
  'audit.spec.ts', // verify, export and the tamper alarm through the UI
  'keyboard-journey.spec.ts', // the keyboard-only journey among 1,000 robots
  'providers-a11y.spec.ts', // axe and focus return on the Revoke and provider dialogs, provider and key details
  'station-bundles.spec.ts', // a key bundle installed on a robot simulator on a pty, then replayed and tampered copies
  'rollout-actions.spec.ts', // halt, resume and forced retirement of a rollout on the Rotation screen
  'rotation-policy-ui.spec.ts', // the rollout policy dialog's refusals and read-back, and a key's schedule and drift at the AWS emulator
  'audit-alarm.spec.ts', // a database forged before unlock: the alarm on every screen, verify and export
  'ca-transition-ui.spec.ts', // the fleet CA replaced from the Certificates screen, a revocation becoming an approval request
  'ca-list-ui.spec.ts', // every fleet CA listed with counts, a retired one picked and revoked, the Fleet screen's renewal flags, revoke_ca's CA picker
  'operators-screen.spec.ts', // the Operators screen's journey with axe on each dialog, then a viewer refused
  'recovery-ceremony.spec.ts', // the ceremony's refusals and success from the sign-in page, a restore through the window
  'emergency.spec.ts', // the Emergency screen's whole journey: shortcut, preview, dry run, execute, CRL with openssl, audit, roles, an order issued alone
  'emergency-distrust.spec.ts', // a fleet CA distrusted from the Emergency screen: the playbook's pre-tick, the CA picker, break-glass, the v2 file checked by the robot
  'emergency-station.spec.ts', // issue 15's end-to-end test: a robot contained from the Emergency screen, the order, CRL and new keys delivered over ptys
  'fleet.spec.ts', // the fleet table at 100,000 robots, CSV import, dashboard counts, revocation, needs-a-visit (the fleet's fast journeys stay: key-assignment, key-usage)
  'audit-count-cap.spec.ts', // 1,000 vs 1,001 matching records (audit-scale stays in the fast tier)
  'operators-token.spec.ts', // a PKCS#11 token bound as second factor from the top bar on SoftHSM2, its refusals, then an unlock with it
  'operators-recovery.spec.ts', // recovery codes shown at a TOTP enrolment, unlocks with them (one reused), regenerated from the top bar
  'field-link.spec.ts', // the field link started and stopped from the Station screen, a client without a certificate refused (its rules: field-link-rules, field-link.slow)
  'incident-kit-offline.spec.ts', // issue 15's offline console in the window: serve --kit, sign in, use an order, an expired one refused, kit import
  'rotation-batch.spec.ts', // batch rotation jobs on the Rotation screen: progress, a per-key error at a downed AWS emulator, cancel
  'operators-refresh.spec.ts', // the Operators screen follows operators:changed (add, role, factor, removal) without a reload (operators.spec stays fast)
  'operators-factor.spec.ts', // TOTP enrolment in the top bar, then an unlock asking for the code (29 test-s of 777 at load 30; operators.spec stays as the operators' fast journey)
  'keys-locations.spec.ts', // AWS KMS and Vault emulators, Vault stopped and restarted: what a change of state reached where, Retry (35 test-s; key-usage.spec stays as the Keys screen's fast journey)
  'design-system-csp.spec.ts', // a Vite build of the design-system probe inside the test, then its CSP watch (25 test-s; the console's own CSP stays fast in test/security/csp.test.ts)
  'access.spec.ts', // the token gate's refusals and a dropped connection (40 test-s; session.spec stays as sign-in's fast journey, test/security/browser-host-token.test.ts the token's)
  'incident-kit-distrust.spec.ts', // a distrust-ca order used from the kit's offline window, then imported (12 test-s at load 11; incident-kit-distrust.test.ts covers it in the fast tier)
] as const;
