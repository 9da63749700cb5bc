import { useChannelMutation } from '../hooks/channelQuery.ts';
import { ErrorMessage } from '../components/ErrorMessage.tsx';

/** Re-walks the whole hash chain and its signed checkpoints in the main process. */
export function VerifyChain() {
  const verify = useChannelMutation('audit:verify');
  const result = verify.data;

  return (
    <div className="verify">
      <button type="button" onClick={() => verify.mutate({})} disabled={verify.isPending}>
        {verify.isPending ? 'Verifying…' : 'Verify chain'}
      </button>
      {result &&
        (result.ok ? (
          <span className="result-ok" role="status">
            Chain verified: {result.checkedRecords} records, {result.checkpoints} checkpoints
          </span>
        ) : (
          <span className="result-bad" role="alert">
            Verification FAILED at record {result.firstBad?.seq ?? '?'}: {result.firstBad?.reason ?? 'unknown reason'}
          </span>
        ))}
      <ErrorMessage error={verify.error} />
    </div>
  );
}
