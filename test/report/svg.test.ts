// The SVG chart strings: scales put data where it belongs, gaps stay gaps, ticks are round
// numbers, text is escaped, and nothing refers outside the string.
import test from "ava";
import { esc, heatmap, histogram, lineChart, pathData, shareBar } from "../../host/report/svg.ts";

/** [x, y] pairs of an SVG path's "M" runs. */
function runs(d: string): Array<Array<[number, number]>> {
  return d.split("M").filter(Boolean).map((run) => run.trim().split(" ").map((p) => p.split(",").map(Number) as [number, number]));
}

const attr = (svg: string, selector: RegExp) => [...svg.matchAll(selector)].map((m) => m[1]);

test("pathData starts a new run after a null and rounds to 0.1 px", (t) => {
  const d = pathData([[0, 1], [1, 2], [2, null], [3, 4], [4, 5]], (x) => x * 10.04, (y) => 100 - y / 3);
  t.deepEqual(runs(d), [[[0, 99.7], [10, 99.3]], [[30.1, 98.7], [40.2, 98.3]]]);
  t.is(pathData([[0, null]], (x) => x, (y) => y), "");
});

test("lineChart maps the highest value to the top of the plot and the lowest x to its left edge", (t) => {
  const svg = lineChart({
    title: "t", x: { label: "batch", unit: "id" }, y: { label: "acc", unit: "%", domain: [0, 100] }, width: 600, height: 300,
    series: [{ name: "s", color: "#123456", points: [[1, 0], [5, 100], [10, 50]] }],
  });
  const d = attr(svg, /class="series"[^>]* d="([^"]*)"/g)[0];
  const [[p0, p1, p2]] = runs(d);
  // plot box: left 58, right 600-16, top 50, bottom 300-44; x domain 1..10 made nice: 0..10
  t.deepEqual(p0, [58 + 526 / 10, 256]);
  t.is(p1[1], 50);
  t.is(p2[0], 584);
  t.is(p2[1], 153);
  t.true(svg.includes(">acc (%)</text>") && svg.includes(">batch (id)</text>"), "axis titles with units");
  t.deepEqual(attr(svg, /class="tick"[^>]*text-anchor="end"[^>]*>([^<]*)</g), ["0", "20", "40", "60", "80", "100"]);
});

test("lineChart: nice ticks on a data range, a legend for several series, markers where asked", (t) => {
  const svg = lineChart({
    title: "loss", x: { label: "batch" }, y: { label: "loss" },
    series: [
      { name: "raw", color: "#aaaaaa", points: [[1, 0.3], [2, 2.7]] },
      { name: "mean", color: "#1f77b4", points: [[1, 0.3], [2, 1.5]], dots: true },
    ],
    markers: [{ x: 1.5, label: "epoch 2", color: "#999999" }],
  });
  t.deepEqual(attr(svg, /class="tick"[^>]*text-anchor="end"[^>]*>([^<]*)</g), ["0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0"]);
  t.deepEqual(attr(svg, /class="legend"[^>]*>([^<]*)</g), ["raw", "mean"]);
  t.is(attr(svg, /<circle/g).length, 2);
  t.true(svg.includes(">epoch 2</text>"));
  t.is(attr(svg, /class="marker" x1="([^"]*)"/g).length, 1);
});

test("histogram draws one bar per non-empty bin, as high as its count", (t) => {
  const svg = histogram({
    title: "w", x: { label: "w", domain: [-1, 1] }, y: { label: "n", domain: [0, 10] }, width: 600, height: 300, color: "#4c72b0",
    edges: [-1, -0.5, 0, 0.5, 1], counts: [10, 0, 5, 1],
  });
  const bars = attr(svg, /class="bars"[^>]* d="([^"]*)"/g)[0].split("Z").filter(Boolean);
  t.is(bars.length, 3);
  // first bar: full height (count 10 = top 50), from x 58 to 58 + 526/4
  t.is(bars[0], "M58,256V50H189.5V256");
  t.true(bars[1].includes("V153"), bars[1]);
});

test("shareBar widths are proportional to the values against the capacity", (t) => {
  const svg = shareBar({ title: "ram", total: 1000, width: 516, parts: [{ label: "a", value: 250, color: "#111111" }, { label: "b", value: 500, color: "#222222" }], text: (p) => `${p.value} B` });
  const widths = attr(svg, /<rect x="[^"]*" y="28" width="([^"]*)" height="26" fill/g).map(Number);
  t.deepEqual(widths, [125, 250]);
  t.true(svg.includes(">a: 250 B</text>") && svg.includes(">b: 500 B</text>"));
});

test("heatmap writes every non-zero count in its cell and shades by the row share", (t) => {
  const svg = heatmap({ title: "c", labels: ["0", "1"], values: [[3, 1], [0, 4]], rowTitle: "true", colTitle: "predicted", diagonal: "#0000ff", offDiagonal: "#ff0000" });
  t.deepEqual(attr(svg, /class="count[^"]*"[^>]*>(\d+)</g), ["3", "1", "4"]);
  t.deepEqual(attr(svg, /fill="#0000ff" fill-opacity="([^"]*)"/g), ["0.88", "1"]);
  t.deepEqual(attr(svg, /fill="#ff0000" fill-opacity="([^"]*)"/g), ["0.56"]);
});

test("text is escaped and a chart holds no script, link or external reference", (t) => {
  t.is(esc(`<a href="x">&</a>`), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
  const svg = lineChart({ title: `<script>alert(1)</script>`, x: { label: "x" }, y: { label: `"y"` }, series: [{ name: "<s>", color: "#000000", points: [[0, 1]] }] });
  t.false(/<script|href|url\(|http/i.test(svg), svg);
  t.true(svg.includes("&lt;script&gt;"));
});
