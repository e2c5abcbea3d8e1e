// Opens a fewmul HTML report in headless Chromium (Debian's `chromium`, through
// playwright-core), takes a full-page screenshot and measures where the charts are, what
// the page logged and what it tried to load. `test/boards/report-browser.test.ts` checks the
// result; run directly it writes the screenshot for the README:
//
//   node --import tsx scripts/report-screenshot.ts report.html docs/report.png
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { PNG } from "pngjs";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** A chart on the page: its box in CSS pixels (= screenshot pixels) and its data colours. */
export interface ChartBox { kind: string; title: string; x: number; y: number; width: number; height: number; colors: string[] }

export interface Rendered {
  png: Buffer;
  charts: ChartBox[];
  /** console.error messages and uncaught page errors. */
  errors: string[];
  /** Every URL the page requested other than the report itself (should be none). */
  requests: string[];
}

/** Renders `htmlPath` at `width` CSS pixels, device scale 1, in a fresh profile. */
export async function renderInChromium(htmlPath: string, width = 1340): Promise<Rendered> {
  const profile = mkdtempSync(join(tmpdir(), "fewmul-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width, height: 900 }, deviceScaleFactor: 1,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const page = context.pages()[0] ?? await context.newPage();
    const url = pathToFileURL(resolve(htmlPath)).href;
    const errors: string[] = [], requests: string[] = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(e.message));
    await page.route("**/*", (route) => {
      const u = route.request().url();
      if (u === url) return route.continue();
      requests.push(u);
      return route.abort();
    });
    await page.goto(url, { waitUntil: "load" });
    const charts = await page.$$eval("svg.chart", (svgs) => svgs.map((s) => {
      const r = s.getBoundingClientRect();
      const colors = new Set<string>();
      s.querySelectorAll("path.series, path.bars, rect[fill]").forEach((e) => {
        for (const c of [e.getAttribute("stroke"), e.getAttribute("fill")]) if (c?.startsWith("#")) colors.add(c);
      });
      return { kind: s.getAttribute("class")!.replace("chart ", ""), title: s.getAttribute("aria-label") ?? "", x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height, colors: [...colors] };
    }));
    const png = await page.screenshot({ fullPage: true, type: "png" });
    return { png, charts, errors, requests };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/**
 * Pixels of a chart's box in the screenshot: how many are not background (white-ish) and
 * how many are within a small distance of one of its data colours.
 */
export function inkInBox(png: Buffer, box: ChartBox): { pixels: number; ink: number; data: number } {
  const img = PNG.sync.read(png);
  const targets = box.colors.map(rgb);
  let ink = 0, data = 0, pixels = 0;
  const x0 = Math.max(0, Math.floor(box.x)), y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(img.width, Math.ceil(box.x + box.width)), y1 = Math.min(img.height, Math.ceil(box.y + box.height));
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const o = (y * img.width + x) * 4;
      const r = img.data[o], g = img.data[o + 1], b = img.data[o + 2];
      pixels++;
      if (r < 240 || g < 240 || b < 240) ink++;
      if (targets.some(([tr, tg, tb]) => Math.abs(r - tr) + Math.abs(g - tg) + Math.abs(b - tb) < 30)) data++;
    }
  }
  return { pixels, ink, data };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [html, out] = process.argv.slice(2);
  if (!html || !out) {
    console.error("usage: node --import tsx scripts/report-screenshot.ts REPORT.html OUT.png");
    process.exit(1);
  }
  readFileSync(html); // a missing file fails here, before Chromium starts
  const r = await renderInChromium(html);
  writeFileSync(out, r.png);
  console.log(`${out}: ${r.png.length} bytes, ${r.charts.length} charts, ${r.errors.length} console errors, ${r.requests.length} requests`);
}
