import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes } from 'react';

/** What a field row sets itself: the rest of an element's attributes pass through. */
interface FieldRow {
  label: ReactNode;
  name: string;
  value: string | number;
  onChange: (value: string) => void;
}

type InputAttributes = Omit<InputHTMLAttributes<HTMLInputElement>, keyof FieldRow>;
type SelectAttributes = Omit<SelectHTMLAttributes<HTMLSelectElement>, keyof FieldRow>;

/** A labelled input whose value lives in the caller's state. */
export function InputField({ label, name, value, onChange, ...input }: FieldRow & InputAttributes) {
  return (
    <label>
      {label}
      <input name={name} value={value} onChange={(e) => onChange(e.target.value)} {...input} />
    </label>
  );
}

/** A required date and time, to the second, in the browser's time zone (lib/webhooks.ts `instantOf` reads it). */
export function DateTimeField(props: FieldRow & InputAttributes) {
  return <InputField type="datetime-local" step="1" required {...props} />;
}

/** A labelled select whose value lives in the caller's state; its options are the children. */
export function SelectField({
  label,
  name,
  value,
  onChange,
  children,
  ...select
}: FieldRow & SelectAttributes & { children: ReactNode }) {
  return (
    <label>
      {label}
      <select name={name} value={value} onChange={(e) => onChange(e.target.value)} {...select}>
        {children}
      </select>
    </label>
  );
}

/** The keys of `T` whose values are any string (what a text input edits), not a union of some strings. */
type TextKeys<T> = { [K in keyof T]: T[K] extends string ? (string extends T[K] ? K : never) : never }[keyof T] &
  string;

/**
 * Binds a draft's text fields to InputFields: `{...field('url')}` gives the row its name, the draft's
 * value and an onChange writing it back, so each row says only what is particular to it.
 */
export function textBinder<T extends object>(draft: T, setDraft: (draft: T) => void) {
  return (name: TextKeys<T>) => ({
    name,
    value: String(draft[name]),
    onChange: (value: string) => setDraft({ ...draft, [name]: value }),
  });
}
