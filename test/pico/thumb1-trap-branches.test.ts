// The Thumb-1 assembly rewrite that lets range checks fall through on their in-bounds path
// (host/boards/thumb1-trap-branches.ts): which branches change, where the trap stubs go, what
// stays, and how the assembler's refusals map back to functions. test/boards/pico.test.ts runs
// the rewritten firmware bit-identically against Node.
import test from "ava";
import { functionsAtErrors, lineBytes, outlineTrapBranches } from "../../host/boards/thumb1-trap-branches.ts";

// gcc 12 -Os -mcpu=cortex-m0plus output, shortened: a loop whose check long-jumps to a trap
// block far away (.L9, through .L10), a long jump that is not a trap (.L3), and a far jump
const FN = (name: string, filler: number) => `	.section	.text.${name},"ax",%progbits
	.align	1
	.syntax unified
	.code	16
	.thumb_func
	.type	${name}, %function
${name}:
	push	{r4, r5, r6, r7, lr}
.L2:
	ldr	r3, [sp, #8]
	cmp	r3, r2
	bls	.LCB10
	b	.L9	@long jump
.LCB10:
	ldr	r1, .L8
	ldr	r0, [r1, r3]
	cmp	r0, #0
	bne	.LCB11
	b	.L3	@long jump
.LCB11:
	cmp	r3, r4
	bcc	.LCB12
	bl	.L9	@far jump
.LCB12:
	b	.L2
${"	adds	r0, r0, #1\n".repeat(filler)}.L3:
	pop	{r4, r5, r6, r7, pc}
.L9:
	movs	r0, #1
	b	.L10
.L10:
	bl	wasm_rt_trap
	.align	2
.L8:
	.word	fewmul_linear_memory
	.size	${name}, .-${name}
`;

test("a check's long jump to a trap becomes the inverse branch to a stub after a barrier", (t) => {
  const { asm, sites, stubs } = outlineTrapBranches(FN("w2c_f1", 40));
  t.is(sites, 2);
  t.is(stubs, 1, "one stub serves both checks of the same trap code");
  t.regex(asm, /\tcmp\tr3, r2\n\tbhi\t(\.LFT\d+_1)\t@ fewmul: out of bounds\n\.LCB10:\n/);
  t.regex(asm, /\tcmp\tr3, r4\n\tbcs\t\.LFT\d+_1\t@ fewmul: out of bounds\n\.LCB12:\n/);
  const stub = /\tbhi\t(\.LFT\d+_1)/.exec(asm)![1];
  t.regex(asm, new RegExp(`\\tb\\t\\.L2\\n${stub.replace(".", "\\.")}:\\n\\tmovs\\tr0, #1\\n\\tbl\\twasm_rt_trap\\n`), "after the loop's own jump back: no path falls into it");
  t.regex(asm, /\tbne\t\.LCB11\n\tb\t\.L3\t@long jump\n/, "a long jump elsewhere than to a trap stays");
  t.false(asm.includes("b\t.L9\t@long jump") || asm.includes("bl\t.L9\t@far jump"), "the trap's long jumps are gone");
});

test("no place within reach: the check stays as gcc wrote it", (t) => {
  // 200 instructions between the checks and the only barriers before the trap block
  const fn = FN("w2c_f2", 200).replace("\tb\t.L2\n", "\tbne\t.L2\n");
  const { asm, sites } = outlineTrapBranches(fn);
  t.is(sites, 0);
  t.is(asm, fn);
});

test("functions the assembler refused are kept; messages map to the function of their line", (t) => {
  const two = FN("w2c_f1", 4) + FN("w2c_f2", 4);
  const rewritten = outlineTrapBranches(two).asm;
  const f2 = rewritten.indexOf("w2c_f2:");
  const inF2 = rewritten.slice(0, f2).split("\n").length + 3;
  const names = functionsAtErrors(rewritten, `/tmp/x/module.rewritten.s: Assembler messages:\n/tmp/x/module.rewritten.s:${inF2}: Error: branch out of range\n`);
  t.deepEqual([...names], ["w2c_f2"]);
  const kept = outlineTrapBranches(two, names);
  t.is(kept.sites, 2, "only w2c_f1's checks");
  t.true(kept.asm.endsWith(FN("w2c_f2", 4)), "w2c_f2 as gcc wrote it");
});

test("line sizes: 2 bytes per instruction, 4 for bl, pool words, alignment at its largest", (t) => {
  t.is(lineBytes("\tadds\tr0, r0, #1"), 2);
  t.is(lineBytes("\tbl\twasm_rt_trap"), 4);
  t.is(lineBytes("\t.word\tfewmul_linear_memory"), 4);
  t.is(lineBytes("\t.align\t2"), 2);
  t.is(lineBytes(".L8:"), 0);
  t.is(lineBytes("\t.size\tw2c_f1, .-w2c_f1"), 0);
});
