// Static SVG charts for the HTML report: line charts, histograms, stacked share bars and a
// heat map, as strings with no script and no external reference. d3-scale picks the axis
// ranges and ticks ("nice" round numbers); the drawing is ours, because d3's own axis and
// selection modules need a DOM and the report is generated in Node without a browser.
import { scaleLinear } from "d3-scale";

/** Text for SVG/HTML content and attribute values. */
export function esc(s: string | number): string {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A coordinate with one decimal at most (keeps the file small; 0.1 px is below what shows). */
const px = (v: number) => String(Math.round(v * 10) / 10);

export interface Axis {
  label: string;
  /** Shown after the label in brackets, e.g. "%" or "batches". */
  unit?: string;
  /** Fixed range; default: the data's range made "nice" (0 included for y). */
  domain?: [number, number];
  /** Tick label of a value; default d3's format for the tick step. */
  format?: (v: number) => string;
  /** Approximate number of ticks. Default 6. */
  ticks?: number;
}

export interface Series {
  name: string;
  color: string;
  /** [x, y]; y null leaves a gap (e.g. batches a resumed run did not record). */
  points: Array<[number, number | null]>;
  /** Stroke width in px. Default 1.5. */
  width?: number;
  /** Draw a dot at every point (short series, e.g. one per epoch). */
  dots?: boolean;
  /** Instead of a line: the filled area between lo and hi at each x, [x, lo, hi] (e.g. the
   * range of the batches each pixel column stands for); `points` is then ignored. */
  band?: Array<[number, number, number]>;
}

/** A vertical line at x, e.g. the first divergent batch. */
export interface Marker { x: number; label: string; color: string }

// Plot margins: title on the first line, legend on the second, marker labels above the plot.
const FRAME = { left: 58, right: 16, top: 50, bottom: 44 };

interface Frame { width: number; height: number; x: (v: number) => number; y: (v: number) => number; body: string[] }

function axisTitle(a: Axis): string {
  return a.unit ? `${a.label} (${a.unit})` : a.label;
}

/** The plot frame with title, grid, tick labels and axis titles; returns the scales. */
function frame(title: string, width: number, height: number, xAxis: Axis, yAxis: Axis, xDomain: [number, number], yDomain: [number, number]): Frame {
  const x = scaleLinear().domain(xDomain).range([FRAME.left, width - FRAME.right]);
  const y = scaleLinear().domain(yDomain).range([height - FRAME.bottom, FRAME.top]);
  if (!xAxis.domain) x.nice(xAxis.ticks ?? 6);
  if (!yAxis.domain) y.nice(yAxis.ticks ?? 6);
  const body: string[] = [];
  const [x0, x1] = x.range(), [y0, y1] = y.range();
  body.push(`<text class="title" x="${FRAME.left}" y="16">${esc(title)}</text>`);
  const xf = xAxis.format ?? x.tickFormat(xAxis.ticks ?? 6), yf = yAxis.format ?? y.tickFormat(yAxis.ticks ?? 6);
  for (const t of y.ticks(yAxis.ticks ?? 6)) {
    const p = px(y(t));
    body.push(`<line class="grid" x1="${x0}" x2="${x1}" y1="${p}" y2="${p}"/><text class="tick" x="${x0 - 6}" y="${p}" text-anchor="end" dy="0.32em">${esc(yf(t))}</text>`);
  }
  for (const t of x.ticks(xAxis.ticks ?? 6)) {
    const p = px(x(t));
    body.push(`<line class="tickmark" x1="${p}" x2="${p}" y1="${y0}" y2="${y0 + 4}"/><text class="tick" x="${p}" y="${y0 + 16}" text-anchor="middle">${esc(xf(t))}</text>`);
  }
  body.push(`<path class="axis" d="M${x0},${y1}V${y0}H${x1}"/>`);
  body.push(`<text class="axis-title" x="${(x0 + x1) / 2}" y="${height - 6}" text-anchor="middle">${esc(axisTitle(xAxis))}</text>`);
  body.push(`<text class="axis-title" transform="translate(14,${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${esc(axisTitle(yAxis))}</text>`);
  return { width, height, x: (v) => x(v), y: (v) => y(v), body };
}

function svg(f: Frame, kind: string, title: string): string {
  return `<svg class="chart ${kind}" role="img" aria-label="${esc(title)}" viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}">${f.body.join("")}</svg>`;
}

/** Dashed vertical lines across the plot, labelled above it. */
function markerLines(f: Frame, markers: Marker[] = []): void {
  for (const m of markers) {
    const x = f.x(m.x), p = px(x);
    // the label runs away from the nearer side of the plot, so it is never cut off
    const right = x > (FRAME.left + f.width - FRAME.right) * 0.75;
    const left = x < (FRAME.left + f.width - FRAME.right) * 0.25;
    const anchor = right ? "end" : left ? "start" : "middle";
    f.body.push(`<line class="marker" x1="${p}" x2="${p}" y1="${FRAME.top}" y2="${f.height - FRAME.bottom}" stroke="${m.color}"/><text class="marker-label" x="${p}" y="${FRAME.top - 4}" text-anchor="${anchor}" fill="${m.color}">${esc(m.label)}</text>`);
  }
}

function extent(values: number[], fallback: [number, number]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (lo > hi) return fallback;
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

/** SVG path data of a series: one "M" run per stretch without gaps (implicit line-to). */
export function pathData(points: Array<[number, number | null]>, x: (v: number) => number, y: (v: number) => number): string {
  let d = "", open = false;
  for (const [a, b] of points) {
    if (b === null || !Number.isFinite(b)) { open = false; continue; }
    d += `${open ? " " : "M"}${px(x(a))},${px(y(b))}`;
    open = true;
  }
  return d;
}

/** SVG path data of the area between lo and hi: the top edge forward, the bottom back. */
export function bandPath(band: Array<[number, number, number]>, x: (v: number) => number, y: (v: number) => number): string {
  if (band.length === 0) return "";
  const top = band.map(([a, , hi]) => `${px(x(a))},${px(y(hi))}`);
  const bottom = band.map(([a, lo]) => `${px(x(a))},${px(y(lo))}`).reverse();
  return `M${top.join(" ")} ${bottom.join(" ")}Z`;
}

export interface LineChart {
  title: string;
  x: Axis;
  y: Axis;
  series: Series[];
  markers?: Marker[];
  width?: number;
  height?: number;
}

/** A line chart with a legend (when there is more than one series) and vertical markers. */
export function lineChart(c: LineChart): string {
  const width = c.width ?? 620, height = c.height ?? 280;
  const all = c.series.flatMap((s) => s.band ? s.band.flatMap(([a, lo, hi]) => [[a, lo], [a, hi]] as Array<[number, number]>) : s.points);
  const xs = all.map((p) => p[0]), ys = all.filter((p) => p[1] !== null).map((p) => p[1] as number);
  const yData = extent(ys, [0, 1]);
  const f = frame(c.title, width, height, c.x, c.y, c.x.domain ?? extent(xs, [0, 1]), c.y.domain ?? [Math.min(0, yData[0]), yData[1]]);
  markerLines(f, c.markers);
  for (const s of c.series) {
    if (s.band) {
      f.body.push(`<path class="series band" fill="${s.color}" stroke="none" d="${bandPath(s.band, f.x, f.y)}"><title>${esc(s.name)}</title></path>`);
      continue;
    }
    f.body.push(`<path class="series" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.5}" d="${pathData(s.points, f.x, f.y)}"><title>${esc(s.name)}</title></path>`);
    if (s.dots) {
      for (const [a, b] of s.points) if (b !== null) f.body.push(`<circle cx="${px(f.x(a))}" cy="${px(f.y(b))}" r="3" fill="${s.color}"/>`);
    }
  }
  if (c.series.length > 1) {
    // right-aligned, in series order; ~7 px per character
    const w = (s: Series) => 26 + 7 * s.name.length;
    let at = width - FRAME.right - c.series.reduce((a, s) => a + w(s), 0);
    for (const s of c.series) {
      f.body.push(`<rect x="${at}" y="27" width="14" height="4" fill="${s.color}"/><text class="legend" x="${at + 18}" y="33">${esc(s.name)}</text>`);
      at += w(s);
    }
  }
  return svg(f, "line", c.title);
}

export interface Histogram {
  title: string;
  x: Axis;
  y: Axis;
  /** Bin edges (length counts + 1) and counts. */
  edges: number[];
  counts: number[];
  color: string;
  markers?: Marker[];
  width?: number;
  height?: number;
}

/** Bars over contiguous bins. */
export function histogram(h: Histogram): string {
  const width = h.width ?? 620, height = h.height ?? 240;
  const f = frame(h.title, width, height, h.x, h.y, h.x.domain ?? [h.edges[0], h.edges[h.edges.length - 1]], h.y.domain ?? [0, Math.max(1, ...h.counts)]);
  const base = f.y(0);
  const bars = h.counts.map((n, i) => {
    if (n === 0) return "";
    const x0 = f.x(h.edges[i]), x1 = f.x(h.edges[i + 1]), top = f.y(n);
    return `M${px(x0)},${px(base)}V${px(top)}H${px(x1)}V${px(base)}Z`;
  }).join("");
  f.body.push(`<path class="bars" fill="${h.color}" d="${bars}"/>`);
  markerLines(f, h.markers);
  return svg(f, "histogram", h.title);
}

export interface Part { label: string; value: number; color: string }

/**
 * One horizontal bar split into parts, with each part's label and text under it, against a
 * capacity (`total`, e.g. the board's RAM; default the sum). `text` formats a part's value.
 */
export function shareBar(o: { title: string; parts: Part[]; total?: number; text: (p: Part) => string; width?: number }): string {
  const width = o.width ?? 620, barH = 26, left = 8, right = 8, top = 28;
  const sum = o.parts.reduce((a, p) => a + p.value, 0);
  const total = Math.max(o.total ?? sum, sum, 1);
  const span = width - left - right;
  const body: string[] = [`<text class="title" x="${left}" y="18">${esc(o.title)}</text>`];
  body.push(`<rect class="capacity" x="${left}" y="${top}" width="${span}" height="${barH}"/>`);
  let at = left;
  const legend: string[] = [];
  o.parts.forEach((p, i) => {
    const w = (p.value / total) * span;
    if (w > 0) body.push(`<rect x="${px(at)}" y="${top}" width="${px(w)}" height="${barH}" fill="${p.color}"><title>${esc(`${p.label}: ${o.text(p)}`)}</title></rect>`);
    at += w;
    const col = i % 3, row = Math.floor(i / 3);
    const lx = left + col * (span / 3), ly = top + barH + 20 + row * 18;
    legend.push(`<rect x="${px(lx)}" y="${ly - 9}" width="10" height="10" fill="${p.color}"/><text class="legend" x="${px(lx + 14)}" y="${ly}">${esc(p.label)}: ${esc(o.text(p))}</text>`);
  });
  body.push(...legend);
  const height = top + barH + 20 + Math.ceil(o.parts.length / 3) * 18;
  return `<svg class="chart share" role="img" aria-label="${esc(o.title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${body.join("")}</svg>`;
}

/**
 * A matrix of counts as coloured cells with the count in each (rows: true class, columns:
 * predicted class). The diagonal is drawn in `diagonal`, the rest in `offDiagonal`, each cell
 * shaded by its share of the row.
 */
export function heatmap(o: { title: string; labels: string[]; values: number[][]; rowTitle: string; colTitle: string; diagonal: string; offDiagonal: string }): string {
  const n = o.labels.length, cell = n <= 12 ? 38 : Math.max(12, Math.floor(456 / n));
  const left = 64, top = 60, width = left + n * cell + 12, height = top + n * cell + 12;
  const body: string[] = [`<text class="title" x="8" y="16">${esc(o.title)}</text>`];
  body.push(`<text class="axis-title" x="${left + (n * cell) / 2}" y="${top - 24}" text-anchor="middle">${esc(o.colTitle)}</text>`);
  body.push(`<text class="axis-title" transform="translate(14,${top + (n * cell) / 2}) rotate(-90)" text-anchor="middle">${esc(o.rowTitle)}</text>`);
  o.labels.forEach((l, i) => {
    body.push(`<text class="tick" x="${left + i * cell + cell / 2}" y="${top - 6}" text-anchor="middle">${esc(l)}</text>`);
    body.push(`<text class="tick" x="${left - 6}" y="${top + i * cell + cell / 2}" text-anchor="end" dy="0.32em">${esc(l)}</text>`);
  });
  const showText = cell >= 24;
  o.values.forEach((row, r) => {
    const rowSum = row.reduce((a, v) => a + v, 0) || 1;
    row.forEach((v, c) => {
      const share = v / rowSum;
      const x = left + c * cell, y = top + r * cell;
      // shade: at least a hint for any non-zero count, full colour for a whole row
      const opacity = v === 0 ? 0 : Math.round((0.12 + 0.88 * Math.sqrt(share)) * 100) / 100;
      body.push(`<rect class="cell" x="${x}" y="${y}" width="${cell}" height="${cell}"/>`);
      if (v > 0) body.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${r === c ? o.diagonal : o.offDiagonal}" fill-opacity="${opacity}"/>`);
      if (showText && v > 0) body.push(`<text class="count${opacity > 0.6 ? " light" : ""}" x="${x + cell / 2}" y="${y + cell / 2}" text-anchor="middle" dy="0.32em">${v}</text>`);
    });
  });
  return `<svg class="chart heatmap" role="img" aria-label="${esc(o.title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${body.join("")}</svg>`;
}
