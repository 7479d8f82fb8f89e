import type { ReactElement } from 'react';

/** What is wrong with a field and, when known, what to do about it. */
export interface FieldProblem {
  message: string;
  fix?: string;
}

export interface FieldProps {
  /** The control's id; the label, hint and error are tied to it. */
  id: string;
  label: string;
  hint?: string;
  error?: FieldProblem;
  /** Renders the control with the attributes that link it to its label, hint and error. */
  children: (aria: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactElement;
}

/** One labelled control, with its hint and, when there is one, its error right below it. */
export function Field({ id, label, hint, error, children }: FieldProps): ReactElement {
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className={error ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        ...(described ? { 'aria-describedby': described } : {}),
        ...(error ? { 'aria-invalid': true } : {}),
      })}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error.message}
          {error.fix && <span className="field-fix"> {error.fix}</span>}
        </p>
      )}
    </div>
  );
}
