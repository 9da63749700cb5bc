import { useState } from 'react';
import Button from '@cloudscape-design/components/button';

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  }
  return (
    <Button iconName="copy" onClick={() => void copy()} disabled={!text}>
      {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Copy failed: select and copy by hand' : label}
    </Button>
  );
}
