import { useId } from 'react';
import type { TokenUsageDay } from '../api/types';
import { formatCalendarDay, plural } from '../format';

const WIDTH = 720;
const HEIGHT = 220;
const MARGIN = { top: 12, right: 12, bottom: 28, left: 40 };

/** Rounds the largest daily count up to an even axis maximum (2, 4, 6, 8, 10, 20, 40, …), so that its half is a whole number too. */
function axisMaximum(largest: number): number {
  if (largest <= 2) return 2;
  const magnitude = 10 ** Math.floor(Math.log10(largest));
  for (const step of [2, 4, 6, 8, 10]) {
    if (step * magnitude >= largest) return step * magnitude;
  }
  return 10 * magnitude;
}

/**
 * Token requests per day as stacked bars, issued below and refused above, drawn as inline SVG.
 * A table with the same numbers follows for screen readers and exact values.
 */
export function UsageChart({ days }: { days: TokenUsageDay[] }) {
  const titleId = useId();
  const descriptionId = useId();
  const totalIssued = days.reduce((sum, day) => sum + day.issued, 0);
  const totalRefused = days.reduce((sum, day) => sum + day.refused, 0);
  const maximum = axisMaximum(Math.max(0, ...days.map((day) => day.issued + day.refused)));

  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const slot = days.length > 0 ? plotWidth / days.length : plotWidth;
  const barWidth = Math.max(2, slot * 0.7);
  const y = (value: number) => MARGIN.top + plotHeight - (value / maximum) * plotHeight;
  const ticks = [0, maximum / 2, maximum];
  const labelEvery = Math.max(1, Math.ceil(days.length / 6));

  return (
    <figure className="usage-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${titleId} ${descriptionId}`} className="chart">
        <title id={titleId}>Token requests per day</title>
        <desc id={descriptionId}>
          {`${plural(days.length, 'day')}: ${plural(totalIssued, 'token')} issued and ${plural(totalRefused, 'request')} refused.`}
        </desc>
        {ticks.map((tick) => (
          <g key={tick}>
            <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={y(tick)} y2={y(tick)} className="chart-grid" />
            <text x={MARGIN.left - 6} y={y(tick) + 4} textAnchor="end" className="chart-label">
              {tick}
            </text>
          </g>
        ))}
        {days.map((day, index) => {
          const x = MARGIN.left + index * slot + (slot - barWidth) / 2;
          const issuedTop = y(day.issued);
          const refusedTop = y(day.issued + day.refused);
          return (
            <g key={day.date}>
              <title>{`${formatCalendarDay(day.date)}: ${day.issued} issued, ${day.refused} refused`}</title>
              <rect x={MARGIN.left + index * slot} y={MARGIN.top} width={slot} height={plotHeight} className="chart-hit" />
              {day.issued > 0 ? <rect x={x} y={issuedTop} width={barWidth} height={y(0) - issuedTop} className="chart-issued" /> : null}
              {day.refused > 0 ? <rect x={x} y={refusedTop} width={barWidth} height={issuedTop - refusedTop} className="chart-refused" /> : null}
              {index % labelEvery === 0 || index === days.length - 1 ? (
                <text x={x + barWidth / 2} y={HEIGHT - 8} textAnchor={index === days.length - 1 ? 'end' : 'middle'} className="chart-label">
                  {formatCalendarDay(day.date)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption className="chart-legend">
        <span className="legend-item">
          <span className="legend-swatch legend-issued" aria-hidden="true" /> Issued ({totalIssued})
        </span>
        <span className="legend-item">
          <span className="legend-swatch legend-refused" aria-hidden="true" /> Refused ({totalRefused})
        </span>
      </figcaption>
      <details className="chart-table">
        <summary>Show the numbers as a table</summary>
        <table className="table table-compact">
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Issued</th>
              <th scope="col">Refused</th>
            </tr>
          </thead>
          <tbody>
            {days.map((day) => (
              <tr key={day.date}>
                <td>{formatCalendarDay(day.date)}</td>
                <td>{day.issued}</td>
                <td>{day.refused}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
