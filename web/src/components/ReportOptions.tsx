import { useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { CostCenterOptionsDocument, type FleetDimension } from '../__generated__/graphql';
import {
  DIMENSION_LABELS,
  DIMENSION_SCOPES,
  DIMENSIONS,
  groupByOf,
  localInputOf,
  toggled,
  type ReportParams,
} from '../lib/reports';
import { instantOf } from '../lib/webhooks';
import { DateTimeField, InputField, SelectField, textBinder } from './FormFields';

/** A filter's select: `all` (no filter), or one of `options`, each `[value, label]`. */
function FilterSelect({
  label,
  name,
  value,
  options,
  onChange,
}: {
  label: string;
  name: string;
  value: string;
  options: ReadonlyArray<readonly [string, string]>;
  onChange: (value: string) => void;
}) {
  return (
    <SelectField label={label} name={name} value={value} onChange={onChange}>
      <option value="">all</option>
      {options.map(([optionValue, optionLabel]) => (
        <option key={optionValue} value={optionValue}>
          {optionLabel}
        </option>
      ))}
    </SelectField>
  );
}

/**
 * The Reports page's options: the dimensions to group by (checkboxes, in the order ticked) and the filters,
 * only those the graph did not refuse the caller; society and cost center apply at once, brand, model and the
 * instant by the Apply button (Now drops the instant). Every change goes to the page's address (`onChange`).
 */
export function ReportOptions({
  params,
  denied,
  onChange,
}: {
  params: ReportParams;
  denied: readonly FleetDimension[];
  onChange: (changes: Partial<ReportParams>) => void;
}) {
  const offered = DIMENSIONS.filter((dimension) => !denied.includes(dimension));
  const groupBy = groupByOf(params.groupBy);
  const centerOptions = useQuery(CostCenterOptionsDocument, {
    errorPolicy: 'all',
    skip: denied.includes('COST_CENTER') && denied.includes('SOCIETY'),
  });
  const centers = centerOptions.data?.costCenters?.edges.map(({ node }) => node) ?? [];
  const societies = [...new Set(centers.map((center) => center.societyName))].sort();

  const applied = { brand: params.brand, model: params.model, asOf: localInputOf(params.asOf) };
  const [draft, setDraft] = useState(applied);
  const [draftKey, setDraftKey] = useState(JSON.stringify(applied));
  if (draftKey !== JSON.stringify(applied)) {
    setDraftKey(JSON.stringify(applied));
    setDraft(applied);
  }
  const field = textBinder(draft, setDraft);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    onChange({ brand: draft.brand.trim(), model: draft.model.trim(), asOf: instantOf(draft.asOf) ?? '' });
  };

  return (
    <>
      <form className="filters" onSubmit={apply} aria-label="Report options">
        <fieldset>
          <legend>Group by</legend>
          {offered.map((dimension) => (
            <label key={dimension} className="check">
              <input
                type="checkbox"
                name="groupBy"
                value={dimension}
                checked={groupBy.includes(dimension)}
                onChange={() => onChange({ groupBy: toggled(groupBy, dimension).join(',') || 'none' })}
              />
              {DIMENSION_LABELS[dimension]}
            </label>
          ))}
        </fieldset>
        {offered.includes('SOCIETY') ? (
          <FilterSelect
            label="Society"
            name="society"
            value={params.society}
            options={societies.map((society) => [society, society])}
            onChange={(society) => onChange({ society })}
          />
        ) : null}
        {offered.includes('COST_CENTER') ? (
          <FilterSelect
            label="Cost center"
            name="costCenter"
            value={params.costCenter}
            options={centers.map((center) => [center.id, center.code])}
            onChange={(costCenter) => onChange({ costCenter })}
          />
        ) : null}
        {offered.includes('BRAND') ? (
          <InputField label="Brand" placeholder="exact, e.g. Renault" {...field('brand')} />
        ) : null}
        {offered.includes('MODEL') ? (
          <InputField label="Model" placeholder="exact, e.g. Clio" {...field('model')} />
        ) : null}
        <DateTimeField label="As of" required={false} {...field('asOf')} />
        <button type="submit">Apply</button>
        {params.asOf ? (
          <button type="button" className="secondary" onClick={() => onChange({ asOf: '' })}>
            Now
          </button>
        ) : null}
      </form>
      {denied.length > 0 ? (
        <p className="hint" data-testid="denied-dimensions">
          Not offered to your account:{' '}
          {denied
            .map((dimension) => `${DIMENSION_LABELS[dimension]} (needs ${DIMENSION_SCOPES[dimension]})`)
            .join(', ')}
          .
        </p>
      ) : null}
    </>
  );
}
