import { useId } from 'react';
import { countAxis, type Series } from '../lib/reports';

/** Okabe–Ito: distinguishable with the common colour-vision deficiencies; a series past the eighth reuses one. */
const COLORS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];

const WIDTH = 760;
const HEIGHT = 280;
const MARGIN = { top: 16, right: 16, bottom: 36, left: 48 };

/**
 * Counts over time as an inline SVG stacked bar chart: a bar per point of the x axis, a segment per series
 * (series with the same values stay visible, unlike lines drawn over each other). For assistive technology
 * the SVG is one image with a title and a summary, each segment carries its value as a tooltip, and the same
 * numbers are in a table beneath it (collapsed).
 */
export function StackedBarChart({
  title,
  labels,
  series,
  unit,
}: {
  title: string;
  /** One per bar. */
  labels: readonly string[];
  series: readonly Series[];
  /** What a value counts, plural: `cars`. */
  unit: string;
}) {
  const id = useId();
  // Each series' segment per bar, [from, to], on top of the series before it; `totals` ends as the bars' heights.
  const totals = labels.map(() => 0);
  const segments = series.map((s) =>
    labels.map((_, i): [number, number] => {
      const from = totals[i] ?? 0;
      totals[i] = from + (s.values[i] ?? 0);
      return [from, from + (s.values[i] ?? 0)];
    }),
  );
  const ticks = countAxis(Math.max(0, ...totals));
  const top = ticks.at(-1) ?? 1;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const band = plotWidth / Math.max(labels.length, 1);
  const barWidth = band * 0.7;
  const x = (i: number) => MARGIN.left + i * band + (band - barWidth) / 2;
  const y = (value: number) => MARGIN.top + plotHeight - (value / top) * plotHeight;
  // Every label fits up to 12 bars; beyond, every other one (and always the last).
  const labelEvery = Math.ceil(labels.length / 12);
  const summary = series.map((s) => `${s.name}: ${s.values[0] ?? 0} to ${s.values.at(-1) ?? 0} ${unit}`).join('; ');

  return (
    <figure className="chart" data-testid="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        data-testid="chart-svg"
      >
        <title id={`${id}-title`}>{title}</title>
        <desc id={`${id}-desc`}>
          {labels.length > 0 ? `From ${labels[0]} to ${labels.at(-1)}. ` : ''}
          {summary || `No ${unit}.`}
        </desc>
        <g className="axis" aria-hidden="true">
          {ticks.map((tick) => (
            <g key={tick}>
              <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={y(tick)} y2={y(tick)} className="grid" />
              <text x={MARGIN.left - 8} y={y(tick)} textAnchor="end" dominantBaseline="middle">
                {tick}
              </text>
            </g>
          ))}
          {labels.map((label, i) =>
            i % labelEvery === 0 || i === labels.length - 1 ? (
              <text key={i} x={x(i) + barWidth / 2} y={HEIGHT - MARGIN.bottom + 20} textAnchor="middle">
                {label}
              </text>
            ) : null,
          )}
        </g>
        {series.map((s, index) => (
          <g
            key={s.name}
            className="series"
            data-testid="chart-series"
            data-name={s.name}
            fill={COLORS[index % COLORS.length]}
          >
            {segments[index]?.map(([from, to], i) => (
              <rect key={i} x={x(i)} y={y(to)} width={barWidth} height={y(from) - y(to)}>
                <title>{`${s.name}, ${labels[i]}: ${to - from} ${unit}`}</title>
              </rect>
            ))}
          </g>
        ))}
      </svg>
      <figcaption>
        <ul className="legend" data-testid="chart-legend">
          {series.map((s, index) => (
            <li key={s.name}>
              <span className="swatch" style={{ background: COLORS[index % COLORS.length] }} aria-hidden="true" />
              {s.name}
            </li>
          ))}
        </ul>
        <details>
          <summary>The chart’s figures</summary>
          <table data-testid="chart-table">
            <thead>
              <tr>
                <th scope="col">{title}</th>
                {labels.map((label, i) => (
                  <th key={i} scope="col">
                    {label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {series.map((s) => (
                <tr key={s.name}>
                  <th scope="row">{s.name}</th>
                  {s.values.map((value, i) => (
                    <td key={i}>{value}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </figcaption>
    </figure>
  );
}
