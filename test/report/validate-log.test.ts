// The validate log: what validate compared, batch by batch, read back as written; bad logs
// are one-line errors.
import test from "ava";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../host/errors.ts";
import { readValidateLog, ValidateRecorder } from "../../host/report/validate-log.ts";
import { tempDir } from "../cli/helpers.ts";

function sample(divergence: boolean) {
  const r = new ValidateRecorder({ board: { id: "qemu-mps2-an385", name: "MPS2" }, port: "/dev/pts/4", model: "784-32-10:tc", seed: 1, batch: 32 });
  r.batch(1, { digest: 0x12, loss: 40, correct: 3 }, { digest: 0x12, loss: 40, correct: 3 });
  r.batch(2, { digest: 0xffffffff, loss: 30.5, correct: 9 }, { digest: divergence ? 0x1 : 0xffffffff, loss: 30.5, correct: 9 });
  return r;
}

test("a validate log reads back as written, digests as 8 hex digits", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "v.json");
  const r = sample(true);
  r.write(path, { batch: 2, tensor: "layer0.weights", index: 17 });
  const log = readValidateLog(path);
  t.deepEqual(log, r.log);
  t.false(log.identical);
  t.deepEqual(log.batches.map((b) => [b.device_digest, b.emulator_digest]), [["00000012", "00000012"], ["ffffffff", "00000001"]]);
  const same = sample(false);
  same.write(path, null);
  t.true(readValidateLog(path).identical);
});

test("bad validate logs are one-line errors naming the file and the field", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "v.json");
  const good = sample(false);
  good.write(path, null);
  const log = good.log;
  const cases: Array<[string, object | string]> = [
    ["bad JSON", "]"],
    ['no "format": "fewmul-validate"', { ...log, format: "fewmul-run" }],
    ['"batches[1].device_digest" must be 8 hex digits', { ...log, batches: [log.batches[0], { ...log.batches[1], device_digest: "123" }] }],
    ['"identical" must be true exactly when first_divergence is null', { ...log, identical: false }],
    ['"first_divergence" must be null or', { ...log, identical: false, first_divergence: { batch: "x" } }],
    ['"seed" must be an integer', { ...log, seed: "1" }],
  ];
  for (const [message, content] of cases) {
    writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
    const e = t.throws(() => readValidateLog(path));
    t.true(e instanceof UserError && !e.message.includes("\n") && e.message.startsWith(`${path}: `) && e.message.includes(message), `${message}: ${e?.message}`);
  }
});
