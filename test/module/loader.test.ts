// host/module/loader.ts: the device module instantiated through @assemblyscript/loader, its
// memory reached only through ModuleMemory's typed views, its RAM capped like the board's.
import test from "ava";
import { instantiate } from "../../host/module/loader.ts";
import { encodeSpec, parseSpec } from "../../host/module/spec.ts";

test("exports come from @assemblyscript/loader (demangled wrappers around the module's own)", (t) => {
  const { exports: x, instance } = instantiate();
  t.is(typeof x.train, "function");
  t.is((x.train as { original?: unknown }).original, instance.exports.train, "the loader wraps each export");
  t.is(x.memory, instance.exports.memory as WebAssembly.Memory);
});

test("ModuleMemory: typed views at raw addresses, copies that do not alias, range errors outside", (t) => {
  const { exports: x, mem } = instantiate();
  const spec = encodeSpec(parseSpec("16-8-4,batch=2"));
  mem.write(x.spec_ptr(), spec);
  t.deepEqual(mem.read(x.spec_ptr(), spec.length), spec);
  t.is(x.init(3, 0), 0);
  const copy = mem.read(x.state_ptr(), 8);
  mem.u8(x.state_ptr(), 1)[0] ^= 0xff;
  t.not(mem.read(x.state_ptr(), 1)[0], copy[0], "a view writes through");
  t.is(mem.u32(x.state_ptr(), 1)[0] ^ 0xff, new DataView(copy.buffer).getUint32(0, true), "typed views read little-endian words");
  t.throws(() => mem.write(mem.byteLength - 2, new Uint8Array(4)), { instanceOf: RangeError });
  t.throws(() => mem.read(mem.byteLength, 1), { instanceOf: RangeError });
});
