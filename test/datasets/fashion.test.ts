// Fashion-MNIST itself comes from Debian's dataset-fashion-mnist, installed by
// scripts/install-toolchain.sh: the test that reads it is in test/boards/ (npm run test:boards).
import test from "ava";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { fashionMnistDir } from "../../host/datasets/idx.ts";
import { UserError } from "../../host/errors.ts";

test("a missing Fashion-MNIST directory is a one-line error that says how to install it", (t) => {
  const missing = join(tmpdir(), `fewmul-no-fashion-${process.pid}`);
  const err = t.throws(() => fashionMnistDir(missing), { instanceOf: UserError });
  t.regex(err?.message ?? "", /apt-get install dataset-fashion-mnist/);
  t.false((err?.message ?? "").includes("\n"));
});
