// The conv-net spec: its text form "3x32x32-c16-p-c32-p-d64-10:tc,batch=16" (input shape
// CxHxW, then `cN` 3x3 conv with N channels, `p` 2x2 max pool, `dN` hidden dense layer, and
// the class count last), its typed form and the shape of every layer. The integer rules of
// the layers are in docs/model-format.md, "Convolutional nets".
import { UserError } from "../errors.ts";
import {
  applySpecOptions, convSizes, DEFAULT_SPEC, type ModelSpec, type NetLayer, parseSpec, validateSpec,
} from "./spec.ts";
export type { NetLayer };

/** (channels, height, width), listed as in the text form; the pixels are stored channels-last (HWC). */
export type Shape = readonly [channels: number, height: number, width: number];

export interface ConvNetSpec extends Omit<ModelSpec, "sizes"> {
  input: Shape;
  /** Conv and pool layers first, then dense ones; the last is the dense output layer. */
  layers: NetLayer[];
}

/** A layer with the shapes it maps between (dense layers: [units, 1, 1]) and its weight count. */
export interface PlannedLayer {
  /** The layer's element of the text form, e.g. "c16", "p", "d64", "10". */
  label: string;
  /** 1-based position among the layers (the input shape is 0). */
  index: number;
  layer: NetLayer;
  in: Shape;
  out: Shape;
  /** Latent weights: 9·Cin·Cout (conv), inputs·units (dense), 0 (pool). */
  weights: number;
}

/** Limits of the grammar (docs/model-format.md, "Convolutional nets"). */
export const CONV_LIMITS = {
  inputChannels: 64, side: 255, convChannels: 256, denseUnits: 4096, minClasses: 2, maxClasses: 255, weightLayers: 8,
} as const;

/** Rows (samples x positions) a conv layer's per-channel normalisation needs per step. */
export const CONV_MIN_ROWS = 8;

const volume = (s: Shape) => s[0] * s[1] * s[2];

function specError(text: string, why: string): never {
  throw new UserError(`invalid model spec "${text}": ${why}`, "E_SPEC");
}

/**
 * Parses "CxHxW-L-...-classes[:bc|:tc][,key=value...]", the options as in parseSpec
 * (unset ones keep `base`'s). Every refusal is a one-line E_SPEC error naming the element.
 */
export function parseConvSpec(text: string, base: Omit<ModelSpec, "sizes"> = DEFAULT_SPEC): ConvNetSpec {
  const [head, ...options] = text.split(",");
  const [arch, mode, extra] = head.split(":");
  if (extra !== undefined) specError(text, "one ':' only, before the mode (bc or tc)");
  const [inputText, ...items] = arch.split("-");
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(inputText);
  if (!m) specError(text, `input shape "${inputText}" must be CHANNELSxHEIGHTxWIDTH, e.g. 3x32x32`);
  const input: Shape = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (input[0] < 1 || input[0] > CONV_LIMITS.inputChannels) specError(text, `${input[0]} input channels (1..${CONV_LIMITS.inputChannels})`);
  if (Math.min(input[1], input[2]) < 1 || Math.max(input[1], input[2]) > CONV_LIMITS.side) {
    specError(text, `input ${input[1]}x${input[2]} pixels (height and width 1..${CONV_LIMITS.side})`);
  }
  if (items.length === 0) specError(text, "no layers after the input shape: the class count comes last, e.g. 1x28x28-c8-p-10");

  const layers: NetLayer[] = [];
  items.forEach((item, k) => {
    const where = `layer ${k + 1} "${item}"`;
    const last = k === items.length - 1;
    let n: number;
    if (/^\d+$/.test(item)) {
      if (!last) specError(text, `${where}: a plain number is the class count and comes last; write d${item} for a hidden dense layer`);
      n = Number(item);
      if (n < CONV_LIMITS.minClasses || n > CONV_LIMITS.maxClasses) specError(text, `${where}: ${n} classes (${CONV_LIMITS.minClasses}..${CONV_LIMITS.maxClasses})`);
      layers.push({ kind: "dense", units: n });
    } else if (last) {
      specError(text, `${where}: the last layer is the class count, a plain number such as 10`);
    } else if (item === "p") {
      layers.push({ kind: "pool" });
    } else if (/^c\d+$/.test(item)) {
      n = Number(item.slice(1));
      if (n < 1 || n > CONV_LIMITS.convChannels) specError(text, `${where}: ${n} channels (1..${CONV_LIMITS.convChannels})`);
      layers.push({ kind: "conv", channels: n });
    } else if (/^d\d+$/.test(item)) {
      n = Number(item.slice(1));
      if (n < 1 || n > CONV_LIMITS.denseUnits) specError(text, `${where}: ${n} units (1..${CONV_LIMITS.denseUnits})`);
      layers.push({ kind: "dense", units: n });
    } else {
      specError(text, `${where} is not cN (3x3 conv), p (2x2 max pool), dN (dense) or the class count`);
    }
  });
  const { sizes: _, ...options0 } = base as ModelSpec;
  const spec: ConvNetSpec = { ...options0, input, layers };
  applySpecOptions(text, mode, options, spec);
  planLayers(spec, text);
  toModelSpec(spec); // the device's rules, on the encoding it will receive
  return spec;
}

/**
 * Every layer with its input and output shapes, checking the rules that involve more than
 * one element: conv and pool before dense layers, 2x2 pooling on even sides, at most 8
 * layers with weights. `text` names the spec in errors (formatConvSpec by default).
 */
export function planLayers(spec: ConvNetSpec, text = formatConvSpec(spec)): PlannedLayer[] {
  const planned: PlannedLayer[] = [];
  let shape: Shape = spec.input;
  let dense = false;
  let weighted = 0;
  spec.layers.forEach((layer, k) => {
    const label = layerLabel(layer, k === spec.layers.length - 1);
    const where = `layer ${k + 1} "${label}"`;
    let out: Shape;
    let weights = 0;
    if (layer.kind === "dense") {
      out = [layer.units, 1, 1];
      weights = volume(shape) * layer.units;
      dense = true;
    } else {
      if (dense) specError(text, `${where} follows a dense layer: conv and pool layers come before the dense ones`);
      const [c, h, w] = shape;
      if (layer.kind === "pool") {
        if (k === 0 || spec.layers[k - 1].kind !== "conv") specError(text, `${where}: a pool layer follows a conv layer`);
        if (h % 2 !== 0 || w % 2 !== 0) specError(text, `${where}: 2x2 pooling needs an even height and width, its input is ${c}x${h}x${w}`);
        out = [c, h >> 1, w >> 1];
      } else {
        out = [layer.channels, h, w];
        weights = 9 * c * layer.channels;
        // Per-channel statistics over the batch's positions: at least 8 rows, as the dense
        // layers' batch statistics (fewer would need the online rule, not offered for conv).
        if (spec.batch * h * w < CONV_MIN_ROWS) {
          specError(text, `${where}: batch ${spec.batch} x ${h}x${w} positions = ${spec.batch * h * w} rows for its per-channel statistics, at least ${CONV_MIN_ROWS} needed (raise the batch)`);
        }
      }
    }
    if (layer.kind !== "pool") weighted++;
    planned.push({ label, index: k + 1, layer, in: shape, out, weights });
    shape = out;
  });
  if (weighted > CONV_LIMITS.weightLayers) specError(text, `${weighted} layers with weights (conv and dense, 1..${CONV_LIMITS.weightLayers})`);
  const last = spec.layers[spec.layers.length - 1];
  if (!last || last.kind !== "dense") specError(text, "the last layer must be the dense output layer (the class count)");
  return planned;
}

function layerLabel(layer: NetLayer, last: boolean): string {
  if (layer.kind === "pool") return "p";
  if (layer.kind === "conv") return `c${layer.channels}`;
  return last ? `${layer.units}` : `d${layer.units}`;
}

export function formatConvSpec(s: ConvNetSpec): string {
  const arch = [s.input.join("x"), ...s.layers.map((l, k) => layerLabel(l, k === s.layers.length - 1))].join("-");
  return `${arch}:${s.mode},batch=${s.batch},qbp=${s.qbp ? 1 : 0},window=${s.window},lr=${s.lrStart},lrend=${s.lrEnd},decay=${s.decaySteps},randbits=${s.randBits}`;
}

/** The device's typed form of a conv net (sizes, the layout encodeSpec writes). */
export function toModelSpec(c: ConvNetSpec): ModelSpec {
  const { input, layers, ...options } = c;
  const spec: ModelSpec = { ...options, sizes: [], conv: { input: [...input], layers: layers.map((l) => ({ ...l })) } };
  spec.sizes = convSizes(spec.conv!);
  return validateSpec(spec);
}

/** Either grammar: a conv net ("1x28x28-c8-p-10...") or a dense one ("784-256-10..."). */
export function parseModelSpec(text: string, base: ModelSpec = DEFAULT_SPEC): ModelSpec {
  if (!/^\d+x/.test(text)) return parseSpec(text, base);
  const { sizes: _, conv: __, ...options } = base;
  return toModelSpec(parseConvSpec(text, options));
}
