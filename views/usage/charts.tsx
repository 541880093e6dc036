/**
 * Server-rendered SVG charts (scales from d3-scale, stacking and lines from d3-shape; no script):
 * stacked bars over time buckets, lines over time buckets, and horizontal bars for rankings.
 * Every chart sits beside a table of the same numbers (the accessible form, and what a screen
 * reader reads: the SVG is one labelled image). Every bar and point is a link to the calls behind
 * it. Marks carry their raw number in `data-value` so tests can compare them with SQL.
 */
import type { Child } from "hono/jsx";
import { scaleBand, scaleLinear } from "d3-scale";
import { line, stack } from "d3-shape";

const W = 640;
const H = 220;
const M = { top: 12, right: 12, bottom: 26, left: 64 };

/** One time bucket (a column of a chart and a row of its table). */
export interface BucketView {
  /** ISO start, the column's key. */
  key: string;
  /** Short label for the axis and the table. */
  label: string;
}

export interface SeriesView {
  key: string;
  label: string;
  /** CSS class that colours its marks (series-0…, status-ok…). */
  cls: string;
}

export interface ChartFrame {
  id: string;
  title: string;
  /** One sentence under the title: what is counted. */
  note?: string;
  /** Formats a value for ticks, tooltips and the table. */
  format: (v: number) => string;
}

export interface StackedBarsProps extends ChartFrame {
  buckets: BucketView[];
  series: SeriesView[];
  /** values[bucketIndex][seriesKey]; a missing key is 0 and shown as "–" in the table. */
  values: Record<string, number | null>[];
  /** Where a segment leads (the calls behind it). */
  href: (bucket: BucketView, series: SeriesView) => string;
  /** A table cell for a value that is missing for a reason (e.g. "unknown" cost). */
  missing?: (bucket: number, series: SeriesView) => string | null;
}

/** Bars stacked by series over time buckets, and its table (with a Total column for several). */
export function StackedBars(p: StackedBarsProps) {
  const keys = p.series.map((s) => s.key);
  const rows = p.values.map((v) => Object.fromEntries(keys.map((k) => [k, v[k] ?? 0])));
  const layers = stack<Record<string, number>>().keys(keys)(rows);
  const totals = rows.map((r) => keys.reduce((a, k) => a + r[k], 0));
  const x = bucketScale(p.buckets);
  const y = scaleLinear().domain([0, Math.max(0, ...totals) || 1]).nice()
    .range([H - M.bottom, M.top]);
  const bw = x.bandwidth();
  return (
    <ChartFigure frame={p} legend={p.series}>
      <Svg frame={p}>
        <YAxis ticks={y.ticks(4)} y={y} format={p.format} />
        <XLabels buckets={p.buckets} at={(b) => (x(b.key) ?? 0) + bw / 2} />
        {layers.flatMap((layer, si) => {
          const s = p.series[si];
          return layer.map(([y0, y1], bi) => {
            const b = p.buckets[bi];
            const v = rows[bi][s.key];
            if (!(v > 0)) return null;
            return (
              <Mark
                key={`${s.key}-${b.key}`}
                href={p.href(b, s)}
                title={`${b.label} · ${s.label}: ${p.format(v)}`}
              >
                <rect
                  class={`mark ${s.cls}`}
                  x={r2(x(b.key) ?? 0)}
                  y={r2(y(y1))}
                  width={r2(bw)}
                  height={r2(Math.max(0.5, y(y0) - y(y1)))}
                  data-bucket={b.key}
                  data-series={s.key}
                  data-value={String(v)}
                />
              </Mark>
            );
          });
        })}
      </Svg>
      <BucketTable
        chart={p}
        totals={p.series.length > 1 ? totals : undefined}
        cell={(b, bi, s) => {
          const v = p.values[bi][s.key];
          const why = p.missing?.(bi, s) ?? null;
          return (
            <Td
              key={s.key}
              series={s.key}
              value={v ?? null}
              text={why ?? (v ? p.format(v) : "–")}
              href={v ? p.href(b, s) : undefined}
              unknown={why !== null}
            />
          );
        }}
      />
    </ChartFigure>
  );
}

export interface LinesProps extends ChartFrame {
  buckets: BucketView[];
  series: SeriesView[];
  /** values[bucketIndex][seriesKey]; null: nothing to measure there (a gap in the line). */
  values: Record<string, number | null>[];
  href: (bucket: BucketView, series: SeriesView) => string;
  /** The y axis' top at least this (e.g. 100 for percentages would hide small rates: 0 for auto). */
  minMax?: number;
}

/** Lines over time buckets (gaps where there is nothing to measure), points link to calls. */
export function Lines(p: LinesProps) {
  const x = bucketScale(p.buckets);
  const cx = (i: number) => (x(p.buckets[i].key) ?? 0) + x.bandwidth() / 2;
  const all = p.values.flatMap((v) => p.series.map((s) => v[s.key] ?? 0));
  const y = scaleLinear().domain([0, Math.max(p.minMax ?? 0, ...all) || 1]).nice()
    .range([H - M.bottom, M.top]);
  return (
    <ChartFigure frame={p} legend={p.series}>
      <Svg frame={p}>
        <YAxis ticks={y.ticks(4)} y={y} format={p.format} />
        <XLabels buckets={p.buckets} at={(_, i) => cx(i)} />
        {p.series.map((s) => {
          const pts = p.values.map((v, i) => [i, v[s.key] ?? null] as const);
          const d = line<readonly [number, number | null]>()
            .defined(([, v]) => v !== null)
            .x(([i]) => rn(cx(i)))
            .y(([, v]) => rn(y(v ?? 0)))(pts);
          return (
            <g key={s.key} class={`line-series ${s.cls}`}>
              {d ? <path class="line" d={d} /> : null}
              {pts.map(([i, v]) =>
                v === null ? null : (
                  <Mark
                    key={`${s.key}-${i}`}
                    href={p.href(p.buckets[i], s)}
                    title={`${p.buckets[i].label} · ${s.label}: ${p.format(v)}`}
                  >
                    <circle
                      class="mark point"
                      cx={r2(cx(i))}
                      cy={r2(y(v))}
                      r="3.5"
                      data-bucket={p.buckets[i].key}
                      data-series={s.key}
                      data-value={String(v)}
                    />
                  </Mark>
                )
              )}
            </g>
          );
        })}
      </Svg>
      <BucketTable
        chart={p}
        cell={(b, bi, s) => {
          const v = p.values[bi][s.key] ?? null;
          return (
            <Td
              key={s.key}
              series={s.key}
              value={v}
              text={v === null ? "–" : p.format(v)}
              href={v === null ? undefined : p.href(b, s)}
            />
          );
        }}
      />
    </ChartFigure>
  );
}

export interface RankRow {
  key: string;
  label: string;
  /** The bar's length; null: unknown (drawn as a hatched stub, never as 0). */
  value: number | null;
  calls: number;
  unpricedCalls: number;
  href: string;
}

/** Horizontal bars, largest first: the top conversations, users or agents by cost. */
export function RankBars(p: ChartFrame & { rows: RankRow[]; empty: string }) {
  const rowH = 22;
  const h = M.top + p.rows.length * rowH + 8;
  const left = 8;
  const x = scaleLinear().domain([0, Math.max(0, ...p.rows.map((r) => r.value ?? 0)) || 1])
    .range([0, W * 0.45]);
  const y = scaleBand<string>().domain(p.rows.map((r) => r.key)).range([M.top, h - 8])
    .paddingInner(0.25);
  return (
    <ChartFigure frame={p}>
      {p.rows.length
        ? (
          <Svg frame={p} height={h}>
            {p.rows.map((r) => {
              const top = y(r.key) ?? 0;
              const len = r.value === null ? 0 : Math.max(1, x(r.value));
              const text = rankText(r, p.format);
              return (
                <Mark key={r.key} href={r.href} title={`${r.label}: ${text}`}>
                  <rect
                    class={r.value === null ? "mark rank-unknown" : "mark series-0"}
                    x={left}
                    y={r2(top)}
                    width={r2(r.value === null ? 14 : len)}
                    height={r2(y.bandwidth())}
                    data-key={r.key}
                    data-value={r.value === null ? "" : String(r.value)}
                  />
                  <text
                    class="rank-label"
                    x={r2(left + (r.value === null ? 14 : len) + 6)}
                    y={r2(top + y.bandwidth() - 4)}
                  >
                    {`${clip(r.label, 40)} · ${text}`}
                  </text>
                </Mark>
              );
            })}
          </Svg>
        )
        : <p class="empty-hint">{p.empty}</p>}
      {p.rows.length
        ? (
          <table class="data-table chart-table" id={`${p.id}-table`}>
            <caption class="sr-only">{p.title}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" class="num">Cost</th>
                <th scope="col" class="num">Calls</th>
                <th scope="col" class="num">Unpriced calls</th>
              </tr>
            </thead>
            <tbody>
              {p.rows.map((r) => (
                <tr key={r.key} data-key={r.key}>
                  <th scope="row">
                    <a href={r.href}>{r.label}</a>
                  </th>
                  <Td
                    series="cost"
                    value={r.value}
                    text={r.value === null ? "unknown" : p.format(r.value)}
                    unknown={r.value === null}
                  />
                  <Td series="calls" value={r.calls} text={String(r.calls)} />
                  <Td series="unpriced" value={r.unpricedCalls} text={String(r.unpricedCalls)} />
                </tr>
              ))}
            </tbody>
          </table>
        )
        : null}
    </ChartFigure>
  );
}

function rankText(r: RankRow, format: (v: number) => string): string {
  const calls = `${r.calls} call${r.calls === 1 ? "" : "s"}`;
  if (r.value === null) return `unknown cost · ${calls}, none priced`;
  return `${format(r.value)} · ${calls}${r.unpricedCalls ? `, ${r.unpricedCalls} unpriced` : ""}`;
}

// ---------- parts ----------

/** The x scale of a chart over time buckets: a band a bucket. */
function bucketScale(buckets: BucketView[]) {
  return scaleBand<string>().domain(buckets.map((b) => b.key))
    .range([M.left, W - M.right]).paddingInner(0.2).paddingOuter(0.1);
}

/**
 * The table beside a chart over time buckets: a row a bucket, a column a series, and a Total
 * column when `totals` (one a bucket) is given.
 */
function BucketTable(
  p: {
    chart: ChartFrame & { buckets: BucketView[]; series: SeriesView[] };
    cell: (bucket: BucketView, bucketIndex: number, series: SeriesView) => Child;
    totals?: number[];
  },
) {
  const { id, title, format, buckets, series } = p.chart;
  return (
    <table class="data-table chart-table" id={`${id}-table`}>
      <caption class="sr-only">{title}</caption>
      <thead>
        <tr>
          <th scope="col">Period</th>
          {series.map((s) => <Th key={s.key} label={s.label} />)}
          {p.totals ? <th scope="col" class="num">Total</th> : null}
        </tr>
      </thead>
      <tbody>
        {buckets.map((b, bi) => (
          <tr key={b.key} data-bucket={b.key}>
            <th scope="row">
              <time datetime={b.key}>{b.label}</time>
            </th>
            {series.map((s) => p.cell(b, bi, s))}
            {p.totals
              ? <Td series="total" value={p.totals[bi]} text={format(p.totals[bi])} />
              : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ChartFigure(props: { frame: ChartFrame; legend?: SeriesView[]; children?: Child }) {
  const { id, title, note } = props.frame;
  return (
    <figure class="panel chart" id={id} aria-labelledby={`${id}-h`}>
      <figcaption>
        <h2 id={`${id}-h`}>{title}</h2>
        {note ? <p class="muted chart-note">{note}</p> : null}
      </figcaption>
      {props.legend && props.legend.length > 1
        ? (
          <ul class="chart-legend" aria-hidden="true">
            {props.legend.map((s) => <LegendItem key={s.key} series={s} />)}
          </ul>
        )
        : null}
      <div class="chart-body">{props.children}</div>
    </figure>
  );
}

function LegendItem({ series: s }: { series: SeriesView }) {
  return (
    <li>
      <svg class="swatch" viewBox="0 0 10 10" width="10" height="10">
        <rect class={`mark ${s.cls}`} width="10" height="10" rx="2" />
      </svg>
      {s.label}
    </li>
  );
}

function Svg(props: { frame: ChartFrame; height?: number; children?: Child }) {
  const h = props.height ?? H;
  return (
    <svg
      class="chart-svg"
      viewBox={`0 0 ${W} ${h}`}
      role="img"
      aria-label={`${props.frame.title} (chart; the table beside it has the same numbers)`}
      preserveAspectRatio="xMidYMid meet"
    >
      {props.children}
    </svg>
  );
}

function YAxis(
  p: { ticks: number[]; y: (v: number) => number; format: (v: number) => string },
) {
  return (
    <g class="axis axis-y" aria-hidden="true">
      {p.ticks.map((t) => (
        <g key={String(t)}>
          <line class="grid" x1={M.left} x2={W - M.right} y1={r2(p.y(t))} y2={r2(p.y(t))} />
          <text x={M.left - 6} y={r2(p.y(t) + 4)} text-anchor="end">{p.format(t)}</text>
        </g>
      ))}
    </g>
  );
}

/** At most ~8 labels under the buckets, evenly spaced. */
function XLabels(p: { buckets: BucketView[]; at: (b: BucketView, i: number) => number }) {
  const every = Math.max(1, Math.ceil(p.buckets.length / 8));
  return (
    <g class="axis axis-x" aria-hidden="true">
      {p.buckets.map((b, i) =>
        i % every === 0
          ? (
            <text key={b.key} x={r2(p.at(b, i))} y={H - 8} text-anchor="middle">
              {b.label}
            </text>
          )
          : null
      )}
    </g>
  );
}

function Mark(props: { href: string; title: string; children?: Child }) {
  return (
    <a href={props.href} class="mark-link">
      <title>{props.title}</title>
      {props.children}
    </a>
  );
}

function Th({ label }: { label: string }) {
  return <th scope="col" class="num">{label}</th>;
}

function Td(
  p: { series: string; value: number | null; text: string; href?: string; unknown?: boolean },
) {
  return (
    <td
      class={p.unknown ? "num unknown" : "num"}
      data-series={p.series}
      data-value={p.value === null ? "" : String(p.value)}
    >
      {p.href ? <a href={p.href}>{p.text}</a> : p.text}
    </td>
  );
}

const rn = (v: number) => Math.round(v * 100) / 100;
const r2 = (v: number) => String(rn(v));
const clip = (
  s: string,
  n: number,
) => ([...s].length > n ? `${[...s].slice(0, n - 1).join("")}…` : s);
