// One file, picked with a button or dropped on the zone (Cloudscape FileDropzone + FileInput). Sizes in bytes.
import FileDropzone from '@cloudscape-design/components/file-dropzone';
import FileInput from '@cloudscape-design/components/file-input';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Box from '@cloudscape-design/components/box';

export const bytesText = (n: number): string => `${n.toLocaleString('en')} byte${n === 1 ? '' : 's'}`;

interface Props {
  file: File | null;
  onChange(file: File | null): void;
  /** The picker button's accessible name, e.g. "Choose a file to encrypt". */
  chooseLabel: string;
  /** What the zone says, e.g. "Drop a file to encrypt here". */
  dropText: string;
  invalid?: boolean;
}

export function FilePick({ file, onChange, chooseLabel, dropText }: Props) {
  return (
    <SpaceBetween size="xs">
      <FileDropzone onChange={(e) => onChange(e.detail.value[0] ?? null)}>
        <SpaceBetween size="xxs" alignItems="center">
          <Box color="inherit">{dropText}</Box>
          <FileInput value={file ? [file] : []} onChange={(e) => onChange(e.detail.value[0] ?? null)} ariaLabel={chooseLabel}>
            Choose file
          </FileInput>
        </SpaceBetween>
      </FileDropzone>
      {file && (
        <SpaceBetween direction="horizontal" size="xs" alignItems="center">
          <Box>
            <span data-testid="picked-file">{`${file.name} — ${bytesText(file.size)}`}</span>
          </Box>
          <Button variant="inline-link" onClick={() => onChange(null)} ariaLabel={`Remove ${file.name}`}>
            Remove
          </Button>
        </SpaceBetween>
      )}
    </SpaceBetween>
  );
}
