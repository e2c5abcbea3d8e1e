// The training report as one self-contained HTML page: inline CSS and SVG, no script, no
// font or image fetched. Numbers that other outputs also print (train --json) carry
// data-key/data-value attributes with the exact value next to the rounded text.
import { WEIGHT_ONE, type LayerWeights } from "./model-stats.ts";
import type { PlanEntry } from "./memory-plan.ts";
import type { RunRecord } from "./run-record.ts";
import type { ValidateLog } from "./validate-log.ts";
import { esc, heatmap, histogram, lineChart, shareBar, type Part, type Series } from "./svg.ts";

export interface ReportData {
  title: string;
  /** Spec text (formatSpec) of the model the report is about. */
  model: string;
  /** The model file and its digest, when the report has one. */
  modelFile?: { path: string; digest: string };
  board: { id: string; name: string; ram: number };
  run?: RunRecord;
  validate?: ValidateLog;
  confusion?: { matrix: number[][]; dataset: string };
  weights?: { mode: "bc" | "tc"; layers: LayerWeights[] };
  memory?: { entries: PlanEntry[]; required: number };
  sizes: { module_bytes: number | null; firmware: { text: number; data: number; bss: number } | null };
}

const COLORS = {
  train: "#1f77b4", trainLight: "#a6c8e4", test: "#d95f02", device: "#1b9e77", emulator: "#7570b3",
  diverged: "#d62728", minus: "#d95f02", zero: "#b8b8b8", plus: "#1f77b4", hist: "#4c72b0",
  static: "#7f7f7f", state: ["#1f77b4", "#6baed6"], scratch: ["#d95f02", "#fdae6b", "#e6550d", "#fd8d3c"],
};

export const percent = (v: number) => `${(100 * v).toFixed(2)} %`;
export const count = (v: number) => v.toLocaleString("en-US");
export const bytes = (v: number) => `${count(v)} B`;

/** A summary cell: the rounded text, the exact value in data-value. */
function cell(key: string, value: number | string, text: string = String(value)): string {
  return `<td data-key="${esc(key)}" data-value="${esc(value)}">${esc(text)}</td>`;
}

/** Mean of the last `window` values at each point (nulls skipped). */
export function runningMean(values: (number | null)[], window: number): (number | null)[] {
  const out: (number | null)[] = [];
  let sum = 0, n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null) { sum += v; n++; }
    const old = i >= window ? values[i - window] : null;
    if (old !== null && i >= window) { sum -= old; n--; }
    out.push(n > 0 && v !== null ? sum / n : null);
  }
  return out;
}

const CSS = `
:root{color-scheme:light}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#222;background:#fff;margin:0 auto;max-width:1300px;padding:16px 20px}
h1{font-size:22px;margin:4px 0 8px}h2{font-size:17px;margin:22px 0 6px;border-bottom:1px solid #ddd;padding-bottom:3px}
p.note{color:#555;margin:4px 0 10px;max-width:980px}
.grid{display:flex;flex-wrap:wrap;gap:10px 22px;align-items:flex-start}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:4px 0}
td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}th{font-weight:600;color:#444}
td.n,th.n{text-align:right}
tr.bad td{color:#d62728;font-weight:600}
svg.chart{display:block;overflow:visible;font-size:11px}
svg .title{font-size:13px;font-weight:600;fill:#222}
svg .tick{fill:#555}svg .axis-title{fill:#333;font-size:12px}
svg .grid{stroke:#e6e6e6}svg .tickmark,svg .axis{stroke:#888;fill:none}
svg .marker{stroke-dasharray:4 3;stroke-width:1.2}svg .marker-label{font-size:11px}
svg .legend{fill:#333}svg .capacity{fill:#f1f1f1;stroke:#ccc}
svg .cell{fill:#fafafa;stroke:#fff}svg .count{fill:#222;font-size:11px}svg .count.light{fill:#fff}
`;

function summary(d: ReportData): string {
  const r = d.run, rows: string[] = [];
  const row = (label: string, content: string) => rows.push(`<tr><th>${esc(label)}</th>${content}</tr>`);
  row("model", cell("model", d.model));
  if (d.modelFile) {
    row("model file", cell("out", d.modelFile.path));
    row("state digest", cell("state_digest", d.modelFile.digest));
  }
  row("board", `${cell("board", d.board.id)}<td>${esc(d.board.name)}, ${esc(bytes(d.board.ram))} RAM</td>`);
  if (r) {
    row("dataset", `${cell("dataset", r.dataset.name)}<td>${esc(count(r.dataset.train))} train / ${esc(count(r.dataset.test))} test samples, ${r.dataset.classes} classes</td>`);
    row("epochs", cell("epochs", r.epochs));
    row("batches", `${cell("batches", r.epochs * r.per_epoch, count(r.epochs * r.per_epoch))}<td>${count(r.per_epoch)} per epoch, batch ${r.batch}, seed ${r.seed}</td>`);
    if (r.samples !== null) row("samples", cell("samples", r.samples, count(r.samples)));
    const last = r.test_accuracy[r.test_accuracy.length - 1];
    const final = r.final_test_accuracy ?? last;
    const how = r.calibrated ? "saved model, after the end-of-run calibration" : "last epoch";
    if (final !== null && final !== undefined) row("test accuracy", `${cell("test_accuracy", final, percent(final))}<td>${how}, deterministic weights, on the device</td>`);
  }
  return `<table class="summary">${rows.join("")}</table>`;
}

/** Most points a per-batch line gets; longer runs are drawn per bucket of batches. */
export const MAX_POINTS = 1200;

/**
 * A per-batch series for the chart: every batch as a line when there are at most MAX_POINTS,
 * else buckets of k batches: the raw values as a band from their minimum to their maximum,
 * and the running mean at each bucket's last batch. Keeps the page small for long runs.
 */
export function perBatchSeries(values: (number | null)[], mean: (number | null)[], names: [string, string], colors: [string, string]): Series[] {
  const n = values.length;
  if (n <= MAX_POINTS) {
    return [
      { name: names[0], color: colors[0], width: 1, points: values.map((v, i) => [i + 1, v]) },
      { name: names[1], color: colors[1], width: 2, points: mean.map((v, i) => [i + 1, v]) },
    ];
  }
  const k = Math.ceil(n / (MAX_POINTS / 2));
  const band: Array<[number, number, number]> = [], line: Array<[number, number | null]> = [];
  for (let from = 0; from < n; from += k) {
    const to = Math.min(n, from + k);
    let lo = Infinity, hi = -Infinity;
    for (let i = from; i < to; i++) { const v = values[i]; if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
    if (lo <= hi) band.push([(from + to + 1) / 2, lo, hi]);
    line.push([to, mean[to - 1]]);
  }
  return [
    { name: `${names[0]} (range of ${k})`, color: colors[0], points: [], band },
    { name: names[1], color: colors[1], width: 2, points: line },
  ];
}

function training(r: RunRecord): string {
  const lossPerSample = r.loss.map((v) => (v === null ? null : v / r.batch));
  const accuracy = r.correct.map((v) => (v === null ? null : (100 * v) / r.batch));
  const window = Math.max(1, Math.round(r.per_epoch / 10));
  const epochs = r.epochs <= 12 ? r.epochs : 0; // more epoch lines than that would only hide the data
  const epochMarkers = Array.from({ length: Math.max(0, epochs - 1) }, (_, e) => ({ x: (e + 1) * r.per_epoch + 0.5, label: `epoch ${e + 2}`, color: "#999" }));
  const names: [string, string] = ["per batch", `mean of ${window} batches`];
  const colors: [string, string] = [COLORS.trainLight, COLORS.train];
  const batchAxis = { label: "batch", unit: "batch id, 1 = first", domain: [0, r.loss.length] as [number, number] };
  const loss = lineChart({
    title: "Training loss per batch", x: batchAxis, y: { label: "loss per sample", unit: "squared hinge" },
    series: perBatchSeries(lossPerSample, runningMean(lossPerSample, window), names, colors),
    markers: epochMarkers,
  });
  const acc = lineChart({
    title: "Training accuracy per batch (sampled weights)", x: batchAxis, y: { label: "accuracy", unit: "%", domain: [0, 100] },
    series: perBatchSeries(accuracy, runningMean(accuracy, window), names, colors),
    markers: epochMarkers,
  });
  const tested = r.test_accuracy.map((v, e) => [e + 1, v === null ? null : 100 * v] as [number, number | null]);
  const lows = tested.filter((p) => p[1] !== null).map((p) => p[1] as number);
  const test = lineChart({
    title: "Test accuracy per epoch (deterministic weights)", width: 420,
    x: { label: "epoch", unit: "after epoch n", domain: [0.5, r.epochs + 0.5], format: (v) => (Number.isInteger(v) ? String(v) : ""), ticks: Math.min(r.epochs, 10) },
    y: { label: "test accuracy", unit: "%", domain: [Math.max(0, Math.floor(Math.min(100, ...lows) / 10) * 10 - 10), 100] },
    series: [{ name: "test accuracy", color: COLORS.test, width: 2, dots: true, points: tested }],
  });
  const rows = r.test_accuracy.map((a, e) => {
    const from = e * r.per_epoch, to = from + r.per_epoch;
    const l = r.loss.slice(from, to).filter((v) => v !== null) as number[];
    const c = r.correct.slice(from, to).filter((v) => v !== null) as number[];
    const seen = l.length * r.batch;
    const meanLoss = seen ? l.reduce((x, y) => x + y, 0) / seen : null;
    const trainAcc = seen ? c.reduce((x, y) => x + y, 0) / seen : null;
    return `<tr><td class="n">${e + 1}</td><td class="n">${count(l.length)}</td><td class="n">${meanLoss === null ? "–" : meanLoss.toFixed(4)}</td><td class="n">${trainAcc === null ? "–" : percent(trainAcc)}</td>`
      + (a === null ? `<td class="n">–</td>` : `<td class="n" data-key="epoch_test_accuracy" data-value="${a}">${percent(a)}</td>`) + "</tr>";
  });
  const missing = r.loss.filter((v) => v === null).length;
  return `<h2>Training</h2>
<p class="note">Loss and accuracy of each batch as the device computed them with its sampled weights; the thick line is the mean of the last ${window} batches${missing ? `; ${missing} batches were not recorded (a resumed run) and show as gaps` : ""}. Test accuracy: the deterministic network on the ${count(r.dataset.test)} test samples after each epoch.</p>
<div class="grid">${loss}${acc}</div><div class="grid">${test}
<table class="epochs"><tr><th class="n">epoch</th><th class="n">batches</th><th class="n">mean loss per sample</th><th class="n">training accuracy</th><th class="n">test accuracy</th></tr>${rows.join("")}</table></div>`;
}

function validation(v: ValidateLog): string {
  const d = v.first_divergence;
  const markers = d ? [{ x: d.batch, label: `first divergence: batch ${d.batch}`, color: COLORS.diverged }] : [];
  const loss = lineChart({
    title: "Loss per batch: device and emulator", x: { label: "batch", unit: "batch id" }, y: { label: "loss per sample", unit: "squared hinge" },
    series: [
      { name: "emulator", color: COLORS.emulator, width: 3.5, points: v.batches.map((b) => [b.id, b.emulator_loss / v.batch]) },
      { name: "device", color: COLORS.device, width: 1.5, points: v.batches.map((b) => [b.id, b.device_loss / v.batch]) },
    ],
    markers,
  });
  const same = lineChart({
    title: "State digests per batch: device = emulator", x: { label: "batch", unit: "batch id" },
    y: { label: "digests equal", unit: "1 = yes, 0 = no", domain: [0, 1], ticks: 1, format: (t) => (t === 1 ? "equal" : t === 0 ? "differ" : "") },
    series: [{ name: "equal", color: COLORS.device, width: 2, dots: v.batches.length <= 60, points: v.batches.map((b) => [b.id, b.device_digest === b.emulator_digest ? 1 : 0]) }],
    markers, height: 180,
  });
  // every batch up to 40 rows; longer logs: the first 10, 10 on each side of the divergence, the last 10
  const keep = new Set<number>();
  const n = v.batches.length;
  const idx = d ? v.batches.findIndex((b) => b.id === d.batch) : -1;
  v.batches.forEach((_, i) => { if (n <= 40 || i < 10 || i >= n - 10 || (idx >= 0 && Math.abs(i - idx) <= 10)) keep.add(i); });
  const rows: string[] = [];
  let last = -1;
  for (const i of [...keep].sort((a, b) => a - b)) {
    if (i > last + 1) rows.push(`<tr><td colspan="6">… ${i - last - 1} batches …</td></tr>`);
    const b = v.batches[i];
    const bad = b.device_digest !== b.emulator_digest || b.device_loss !== b.emulator_loss || b.device_correct !== b.emulator_correct;
    rows.push(`<tr${bad ? ' class="bad"' : ""}><td class="n">${b.id}</td><td><code>${b.device_digest}</code></td><td><code>${b.emulator_digest}</code></td><td class="n">${b.device_loss} / ${b.emulator_loss}</td><td class="n">${b.device_correct} / ${b.emulator_correct}</td><td>${bad ? "differ" : "equal"}</td></tr>`);
    last = i;
  }
  const verdict = d
    ? `<p class="note"><strong style="color:${COLORS.diverged}">The device diverged from the emulator at batch ${d.batch}</strong>: first differing element <code>${esc(d.tensor)}[${d.index}]</code>.</p>`
    : `<p class="note"><strong style="color:${COLORS.device}">Identical</strong>: device and emulator states were equal after each of the ${v.batches.length} batches.</p>`;
  return `<h2>Validation: ${esc(v.board.id)} against the emulator</h2>
<p class="note">${esc(v.model)}, seed ${v.seed}, device on ${esc(v.port)}: after every batch the CRC-32 digests of both model states are compared.</p>${verdict}
<div class="grid">${same}${loss}</div>
<table class="digests"><tr><th class="n">batch</th><th>device digest</th><th>emulator digest</th><th class="n">loss device / emulator</th><th class="n">correct device / emulator</th><th></th></tr>${rows.join("")}</table>`;
}

function confusion(c: NonNullable<ReportData["confusion"]>): string {
  const m = c.matrix;
  const total = m.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0);
  const right = m.reduce((a, row, i) => a + row[i], 0);
  const labels = m.map((_, i) => String(i));
  const chart = heatmap({ title: `Confusion matrix, ${c.dataset}`, labels, values: m, rowTitle: "true class", colTitle: "predicted class", diagonal: COLORS.train, offDiagonal: COLORS.diverged });
  const recall = m.map((row, i) => {
    const n = row.reduce((x, y) => x + y, 0);
    return `<tr><td class="n">${i}</td><td class="n">${count(n)}</td><td class="n">${n ? percent(row[i] / n) : "–"}</td></tr>`;
  });
  return `<h2>Confusion matrix</h2>
<p class="note">The model file's deterministic network on the test split (host inference of the packed export, bit-exact with the device): <span data-key="confusion_right" data-value="${right}">${count(right)}</span> of <span data-key="confusion_total" data-value="${total}">${count(total)}</span> right (<span data-key="confusion_accuracy" data-value="${total ? right / total : 0}">${percent(total ? right / total : 0)}</span>). Cells are shaded by their share of the row.</p>
<div class="grid">${chart}<table class="recall"><tr><th class="n">class</th><th class="n">samples</th><th class="n">recall</th></tr>${recall.join("")}</table></div>`;
}

function weights(w: NonNullable<ReportData["weights"]>): string {
  const tc = w.mode === "tc";
  const parts = w.layers.map((l) => {
    const total = l.nIn * l.nOut;
    const share = (p: Part) => `${percent(p.value / total)} (${count(p.value)})`;
    const bar = shareBar({
      title: `Layer ${l.layer} (${l.nIn} → ${l.nOut}): deterministic weights`,
      parts: [{ label: "−1", value: l.minus, color: COLORS.minus }, ...(tc ? [{ label: "0", value: l.zero, color: COLORS.zero }] : []), { label: "+1", value: l.plus, color: COLORS.plus }],
      text: share,
    });
    // x in units of W0 = 2^14: the latent range is [-1, 1], the TC thresholds are ±0.5
    const hist = histogram({
      title: `Layer ${l.layer}: latent weights`, edges: l.edges.map((e) => e / WEIGHT_ONE), counts: l.counts, color: COLORS.hist,
      x: { label: "latent weight", unit: "w / 2^14", domain: [-1, 1] },
      y: { label: "weights", unit: `count per bin of 1/${WEIGHT_ONE / (l.edges[1] - l.edges[0])}` },
      markers: tc ? [{ x: -0.5, label: "−2^13", color: COLORS.minus }, { x: 0.5, label: "+2^13", color: COLORS.plus }] : [{ x: 0, label: "0", color: "#333" }],
    });
    return `<div class="grid">${bar}${hist}</div>`;
  });
  return `<h2>Weights</h2>
<p class="note">${tc ? "Ternary (TC): the deterministic weight is sign(w) where |w| &gt; 2^13, else 0" : "Binary (BC): the deterministic weight is +1 where w ≥ 0, else −1"}; training samples them stochastically from the int16 latent weights w, shown as histograms (docs/model-format.md).</p>
${parts.join("")}`;
}

function memory(d: ReportData): string {
  const { entries, required } = d.memory!;
  const ram = d.board.ram;
  const group = (name: string, color: string, test: (e: PlanEntry) => boolean): Part => ({ label: name, color, value: entries.filter(test).reduce((a, e) => a + e.bytes, 0) });
  const parts = [
    group("module data, stack", COLORS.static, (e) => e.part === "static"),
    group("latent weights", COLORS.state[0], (e) => e.part === "state" && e.name.includes("latent")),
    group("other state", COLORS.state[1], (e) => e.part === "state" && !e.name.includes("latent")),
    group("batch inputs, labels", COLORS.scratch[0], (e) => e.name.startsWith("batch")),
    group("kept rows, activations", COLORS.scratch[1], (e) => e.name.includes("kept") || e.name.includes("activations")),
    group("sums and errors", COLORS.scratch[2], (e) => e.name.startsWith("sums")),
    group("other scratch", COLORS.scratch[3], (e) => e.part === "scratch" && !/^batch|kept|activations|^sums/.test(e.name)),
  ].filter((p) => p.value > 0);
  const bar = shareBar({ title: `Linear memory to train: ${bytes(required)} of ${bytes(ram)} RAM (${percent(required / ram)})`, parts, total: ram, text: (p) => bytes(p.value), width: 760 });
  const rows = entries.map((e) => `<tr><td>${esc(e.name)}</td><td>${e.part}</td><td class="n">${count(e.bytes)}</td><td class="n">${percent(e.bytes / ram)}</td></tr>`);
  const fw = d.sizes.firmware;
  const sizes = [
    `<tr><th>device module (build/fewmul.wasm)</th><td class="n" data-key="module_bytes" data-value="${d.sizes.module_bytes ?? ""}">${d.sizes.module_bytes === null ? "not built" : bytes(d.sizes.module_bytes)}</td></tr>`,
    fw ? `<tr><th>firmware text / data / bss</th><td class="n">${(["text", "data", "bss"] as const).map((k) => `<span data-key="firmware_${k}" data-value="${fw[k]}">${bytes(fw[k])}</span>`).join(" / ")}</td></tr>` : `<tr><th>firmware</th><td>${d.board.id === "emulator" ? "none: the module runs in Node" : "not built here (fewmul build)"}</td></tr>`,
    `<tr><th>linear memory needed</th><td class="n" data-key="required_bytes" data-value="${required}">${bytes(required)}</td></tr>`,
    `<tr><th>board RAM for the module</th><td class="n" data-key="ram" data-value="${ram}">${bytes(ram)}</td></tr>`,
    `<tr${required > ram ? ' class="bad"' : ""}><th>free</th><td class="n">${bytes(ram - required)}</td></tr>`,
  ];
  return `<h2>Memory on ${esc(d.board.id)}</h2>
<p class="note">The module's linear memory for this spec, tensor by tensor (the arena of assembly/arena.ts, allocated once at init), against the RAM the board gives the module.</p>
${bar}<div class="grid"><table class="plan"><tr><th>tensor</th><th>part</th><th class="n">bytes</th><th class="n">of RAM</th></tr>${rows.join("")}</table><table class="sizes">${sizes.join("")}</table></div>`;
}

export function renderReport(d: ReportData): string {
  const sections = [
    `<h1>${esc(d.title)}</h1>`, summary(d),
    d.run ? training(d.run) : "",
    d.validate ? validation(d.validate) : "",
    d.confusion ? confusion(d.confusion) : "",
    d.weights ? weights(d.weights) : "",
    d.memory ? memory(d) : "",
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(d.title)}</title><style>${CSS}</style></head>
<body>
${sections.filter(Boolean).join("\n")}
<p class="note">Generated by fewmul report. Self-contained: no script, no external resource.</p>
</body></html>
`;
}
