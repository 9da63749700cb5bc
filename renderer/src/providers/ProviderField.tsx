import { useId } from 'react';
import type { ProviderField } from './providerFields.ts';

interface FieldProps {
  field: ProviderField;
  value: string | boolean;
  onChange(value: string | boolean): void;
  /** The main process holds a value for this secret. */
  secretStored: boolean;
  /** The main process's message when it refused this field. */
  error: string | null;
  disabled?: boolean;
}

/** One labelled setting; a refused value shows its message beside it and marks the input invalid. */
export function ProviderFieldInput({ field, value, onChange, secretStored, error, disabled }: FieldProps) {
  const helpId = useId();
  const errorId = useId();
  const inputId = useId();
  const describedBy = [field.help || (field.secret && secretStored) ? helpId : '', error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    name: field.name,
    disabled,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy,
  } as const;

  if (field.input === 'checkbox') {
    return (
      <label className="checkbox">
        <input type="checkbox" {...common} checked={value === true} onChange={(e) => onChange(e.target.checked)} />
        {field.label}
        {error && (
          <span className="field-error" id={errorId}>
            {error}
          </span>
        )}
      </label>
    );
  }

  const text = typeof value === 'string' ? value : '';
  const required = field.required && !(field.secret && secretStored);
  return (
    <div className={error ? 'field invalid' : 'field'}>
      <label htmlFor={inputId}>{field.label}</label>
      <input
        id={inputId}
        {...common}
        type={field.input === 'url' ? 'text' : field.input}
        inputMode={field.input === 'url' ? 'url' : undefined}
        value={text}
        required={required}
        autoComplete={field.secret ? 'new-password' : 'off'}
        spellCheck={false}
        placeholder={field.secret && secretStored ? 'set — leave empty to keep' : field.placeholder}
        min={field.input === 'number' ? 0 : undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      {(field.help || (field.secret && secretStored)) && (
        <span className="muted small field-help" id={helpId}>
          {field.secret && secretStored ? 'A value is set — leave empty to keep it. ' : ''}
          {field.help}
        </span>
      )}
      {error && (
        <span className="field-error" id={errorId}>
          {error}
        </span>
      )}
    </div>
  );
}
