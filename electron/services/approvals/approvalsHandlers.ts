// The approvals:* channels (docs/two-person-control.md) over the approvals service. approvals:setPolicy reaches
// setPolicy only through the console's guard, like every guarded channel: lowering a policy makes a request first.
import type { Handlers } from '../../../shared/contract.ts';
import type { Approvals } from './approvals.ts';

type ApprovalHandlers = Pick<
  Handlers,
  | 'approvals:list'
  | 'approvals:approve'
  | 'approvals:deny'
  | 'approvals:execute'
  | 'approvals:policies'
  | 'approvals:setPolicy'
  | 'approvals:exportRequest'
  | 'approvals:importApproval'
  | 'approvals:enrolKey'
  | 'approvals:revokeKey'
  | 'approvals:listRevokedKeys'
  | 'approvals:listKeys'
>;

export function createApprovalHandlers(approvals: Approvals): ApprovalHandlers {
  return {
    'approvals:list': async ({ open, limit }) => approvals.list(open ?? false, limit ?? 200),
    'approvals:approve': async ({ requestId }) => approvals.approve(requestId),
    'approvals:deny': async ({ requestId, reason }) => approvals.deny(requestId, reason),
    'approvals:execute': ({ requestId }, ctx) => approvals.execute(requestId, ctx),
    'approvals:policies': async () => ({ policies: approvals.policies() }),
    'approvals:setPolicy': async ({ policy }) => approvals.setPolicy(policy),
    'approvals:exportRequest': async ({ requestId }) => approvals.exportRequest(requestId),
    'approvals:importApproval': async ({ content }) => approvals.importApproval(content),
    'approvals:enrolKey': async ({ publicKeyPem }) => approvals.enrolKey(publicKeyPem),
    'approvals:revokeKey': async ({ operator, reason }) => approvals.revokeKey(operator, reason),
    'approvals:listRevokedKeys': async (query) => approvals.revokedKeys(query),
    'approvals:listKeys': async (query) => approvals.enrolledKeys(query),
  };
}
