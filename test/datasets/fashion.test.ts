/**
 * Fashion-MNIST comes from Debian's package dataset-fashion-mnist, which a machine may
 * lack. Present: the real test split is read. Absent: that test is not registered and
 * a test that logs why (and checks the install hint) runs instead, unless
 * FEWMUL_REQUIRE_FASHION=1, which registers the real test so it fails loudly.
 */
import { existsSync } from "node:fs";
import test from "ava";
import { FASHION_MNIST_DIR, fashionMnistDir, readIdxDir } from "../../host/datasets/idx.ts";
import { UserError } from "../../host/errors.ts";

const present = existsSync(FASHION_MNIST_DIR);
const required = process.env.FEWMUL_REQUIRE_FASHION === "1";

if (present || required) {
  test.serial("Debian's Fashion-MNIST test split has 10,000 28x28 images, 1,000 per class", (t) => {
    if (!present) return t.fail(`FEWMUL_REQUIRE_FASHION=1 but ${FASHION_MNIST_DIR} is missing: apt-get install dataset-fashion-mnist`);
    const ds = readIdxDir(fashionMnistDir(), "test");
    t.like(ds, { count: 10000, width: 28, height: 28, channels: 1, features: 784, classes: 10 });
    const perClass = new Array(10).fill(0);
    for (const l of ds.labels) perClass[l]++;
    t.deepEqual(perClass, new Array(10).fill(1000));
    t.is(Math.max(...ds.images.subarray(0, 784 * 100)), 255);
  });
} else {
  test("without dataset-fashion-mnist, fashionMnistDir says how to install it", (t) => {
    t.log(`${FASHION_MNIST_DIR} is missing, so the real Fashion-MNIST test is not registered (set FEWMUL_REQUIRE_FASHION=1 to require it)`);
    const err = t.throws(() => fashionMnistDir(), { instanceOf: UserError });
    t.regex(err?.message ?? "", /apt-get install dataset-fashion-mnist/);
  });
}
