// The rotation:batch* channels (shared/rotationBatchContract.ts) over the batch job service. The router has already
// validated the input against the contract; the service validates again (the CLI reaches it directly).
import type { Handlers } from '../../../shared/contract.ts';
import type { RotationBatches } from './batchJobs.ts';

type BatchChannel = 'rotation:batchStart' | 'rotation:batchCancel' | 'rotation:batchList' | 'rotation:batchGet' | 'rotation:batchItems';

export function createBatchHandlers(batches: RotationBatches): Pick<Handlers, BatchChannel> {
  return {
    'rotation:batchStart': async (input) => batches.start(input),
    'rotation:batchCancel': ({ batchId }) => batches.cancel(batchId),
    'rotation:batchList': async ({ limit }) => ({ jobs: batches.list(limit) }),
    'rotation:batchGet': async ({ batchId, items }) => batches.get(batchId, items ?? false),
    'rotation:batchItems': async (query) => batches.items(query),
  };
}
