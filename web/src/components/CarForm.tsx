import { useQuery } from '@apollo/client/react';
import type { FormEvent, ReactNode } from 'react';
import { CostCenterOptionsDocument } from '../__generated__/graphql';
import { issuesFromError } from '../lib/apolloIssues';
import { InputField, SelectField } from './FormFields';
import { IssueSummary } from './Issues';

export interface CarValues {
  brand: string;
  model: string;
  version: string;
  costCenterId: string;
}

export const CAR_FIELDS: (keyof CarValues)[] = ['brand', 'model', 'version', 'costCenterId'];
export const FIELD_LABELS: Record<keyof CarValues, string> = {
  brand: 'Brand',
  model: 'Model',
  version: 'Version',
  costCenterId: 'Cost center',
};

export function CarForm({
  values,
  onChange,
  onSubmit,
  submitLabel,
  busy,
  children,
}: {
  values: CarValues;
  onChange: (values: CarValues) => void;
  onSubmit: () => void;
  submitLabel: string;
  busy: boolean;
  children?: ReactNode;
}) {
  const options = useQuery(CostCenterOptionsDocument, { errorPolicy: 'all' });
  const centers = options.data?.costCenters?.edges.map((edge) => edge.node) ?? [];
  const knownCenter = values.costCenterId === '' || centers.some((center) => center.id === values.costCenterId);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
  };
  const text = (field: 'brand' | 'model' | 'version', required: boolean) => (
    <InputField
      label={FIELD_LABELS[field]}
      name={field}
      value={values[field]}
      maxLength={60}
      required={required}
      onChange={(value) => onChange({ ...values, [field]: value })}
    />
  );
  return (
    <form className="car-form" onSubmit={submit} aria-label="Car">
      {text('brand', true)}
      {text('model', true)}
      {text('version', false)}
      <SelectField
        label={FIELD_LABELS.costCenterId}
        name="costCenterId"
        value={values.costCenterId}
        required
        onChange={(costCenterId) => onChange({ ...values, costCenterId })}
      >
        <option value="" disabled>
          {options.loading ? 'loading…' : 'choose…'}
        </option>
        {!knownCenter ? <option value={values.costCenterId}>{values.costCenterId}</option> : null}
        {centers.map((center) => (
          <option key={center.id} value={center.id}>
            {center.code} — {center.societyName}
          </option>
        ))}
      </SelectField>
      <IssueSummary issues={issuesFromError(options.error)} title="Cost centers could not be listed" />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
        {children}
      </div>
    </form>
  );
}
