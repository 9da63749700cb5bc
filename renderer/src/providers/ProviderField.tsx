import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import Checkbox from '@cloudscape-design/components/checkbox';
import type { ProviderField } from './providerFields.ts';

interface FieldProps {
  field: ProviderField;
  value: string | boolean;
  onChange(value: string | boolean): void;
  /** The main process holds a value for this secret. */
  secretStored: boolean;
  /** The main process's message when it refused this field, in words. */
  error: string | null;
  disabled?: boolean;
}

/** One labelled setting: a refused value shows its message beside it (FormField errorText) and marks the input invalid. */
export function ProviderFieldInput({ field, value, onChange, secretStored, error, disabled }: FieldProps) {
  const keep = field.secret && secretStored;
  if (field.input === 'checkbox') {
    return (
      <FormField errorText={error ?? undefined} i18nStrings={{ errorIconAriaLabel: 'Error' }}>
        <Checkbox checked={value === true} onChange={(e) => onChange(e.detail.checked)} disabled={disabled} ariaDescribedby={undefined}>
          {field.label}
        </Checkbox>
      </FormField>
    );
  }
  const text = typeof value === 'string' ? value : '';
  const description = keep || field.help ? `${keep ? 'A value is set — leave empty to keep it. ' : ''}${field.help ?? ''}` : undefined;
  return (
    <FormField label={field.label} description={description} errorText={error ?? undefined} i18nStrings={{ errorIconAriaLabel: 'Error' }}>
      <Input
        name={field.name}
        value={text}
        type={field.input === 'url' ? 'text' : field.input === 'file' ? 'text' : field.input}
        inputMode={field.input === 'url' ? 'url' : field.input === 'number' ? 'numeric' : undefined}
        disabled={disabled}
        invalid={!!error}
        autoComplete={field.secret ? 'new-password' : false}
        spellcheck={false}
        placeholder={keep ? 'set — leave empty to keep' : field.placeholder}
        onChange={(e) => onChange(e.detail.value)}
      />
    </FormField>
  );
}
