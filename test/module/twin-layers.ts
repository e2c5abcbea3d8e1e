// Two one-layer models whose layers differ only in their number of inputs, started alike: the
// PRNG and the used inputs' weights copied. Fed batches whose extra inputs are all zero, they
// compute the same z and draw the same randoms, so a rule that depends on the fan-in shows as
// a difference between them (rate-boost.test.ts, online-window.test.ts).
import { DeviceModel } from "../../host/module/device-model.ts";
import { parseSpec } from "../../host/module/spec.ts";
import { STATE_O_LAYERS } from "../../assembly/shared/state.ts";

const O_RNG = 64, RNG_BYTES = 16; // the PRNG words (docs/model-format.md "State blob")

/** Models `${small}-${rest}` and `${large}-${rest}`, the first `usedBytes` of the weights alike (int16 w[input][output]: the used inputs' rows come first). */
export function twinModels(small: number, large: number, rest: string, usedBytes: number): [DeviceModel, DeviceModel] {
  const [a, b] = [small, large].map((inputs) => {
    const m = new DeviceModel();
    m.init(parseSpec(`${inputs}-${rest}`), 1);
    return m;
  });
  const from = a.mod.exports.state_ptr(), to = b.mod.exports.state_ptr();
  b.mod.mem.write(to + O_RNG, a.mod.mem.read(from + O_RNG, RNG_BYTES).slice());
  b.mod.mem.write(to + STATE_O_LAYERS, a.mod.mem.read(from + STATE_O_LAYERS, usedBytes).slice());
  return [a, b];
}
