import { trainedModelBlob, devicePredictions } from "./test/cli/helpers.ts";
import { parseModelFile } from "./host/export/model-file.ts";
import { decodeExport, encodeExport, exportModel } from "./host/export/format.ts";
import { predict } from "./host/export/infer.ts";
import { mnistDigits } from "./host/datasets/mnist-package.ts";
const { test: held } = mnistDigits();
for (const [spec, n] of [["1x28x28-c4-p-c8-p-d16-10:tc,batch=8,lr=2,lrend=6,decay=150", 150], ["1x28x28-c4-c6-p-10:bc,batch=4,lr=2,lrend=6,decay=150", 150]] as const) {
  let t0 = Date.now();
  const blob = trainedModelBlob(spec, n);
  console.log(spec, "train ms", Date.now() - t0);
  const m = exportModel(parseModelFile(blob, "m"));
  const d = decodeExport(encodeExport(m), "m.bin");
  t0 = Date.now();
  const host = predict(d, held.images, 2000);
  console.log("host ms", Date.now() - t0);
  t0 = Date.now();
  const dev = devicePredictions(blob, held.images, held.labels, 2000).predictions;
  console.log("dev ms", Date.now() - t0);
  let diff = 0, ok = 0; for (let i = 0; i < 2000; i++) { if (host[i] !== dev[i]) diff++; if (dev[i] === held.labels[i]) ok++; }
  console.log("diff", diff, "acc", ok / 2000, new Set(dev).size);
}
