// The Thumb-1 assembly rewrite that keeps a function's hottest spill slots and literal-pool
// constants in r8-r11 (host/boards/thumb1-spill-registers.ts): what moves, how the caller's
// registers are saved and restored, and what makes a function stay as gcc wrote it.
// test/boards/pico.test.ts runs the rewritten firmware bit-identically against Node.
import test from "ava";
import { reloadsAsMoves, spillsToHighRegisters } from "../../host/boards/thumb1-spill-registers.ts";

// gcc 12 -Os -mcpu=cortex-m0plus shape: frame 32 B of locals over 8 B of outgoing arguments,
// one incoming stack argument (at sp + 40 + 20), a loop using slots 8 and 12 and the linear
// memory's address from the pool, a slot used once outside the loop
const FN = (body = "") => `	.section	.text.w2c_f1,"ax",%progbits
	.align	1
	.syntax unified
	.code	16
	.thumb_func
	.type	w2c_f1, %function
w2c_f1:
	@ args = 4, pretend = 0, frame = 32
	@ frame_needed = 0, uses_anonymous_args = 0
	push	{r4, r5, r6, r7, lr}
	sub	sp, sp, #40
	ldr	r4, [sp, #60]
	str	r0, [sp, #8]
	str	r1, [sp, #12]
	str	r2, [sp, #4]
	str	r3, [sp, #28]
${body}.L2:
	ldr	r3, [sp, #8]
	ldr	r2, .L9
	ldr	r1, [r2, r3]
	ldr	r0, [sp, #12]
	adds	r0, r0, r1
	str	r0, [sp, #12]
	ldr	r2, .L9
	str	r3, [sp, #4]
	ldr	r5, [sp, #4]
	subs	r3, r3, #4
	str	r3, [sp, #8]
	bne	.L2
	bl	w2c_f2
	ldr	r0, [sp, #28]
	add	sp, sp, #40
	@ sp needed
	pop	{r4, r5, r6, r7, pc}
	.align	2
.L9:
	.word	fewmul_linear_memory
	.size	w2c_f1, .-w2c_f1
`;

test("hot slots and constants move to r8-r11; the caller's registers are saved and restored", (t) => {
  const { asm, slots, functions } = spillsToHighRegisters(FN());
  t.is(functions, 1);
  t.is(slots, 3, "slots 8 and 12 and the pool word; slot 4 is in the outgoing arguments, slot 28 is cold");
  // the constant: its register pushed above the low ones, loaded once after the frame is made
  const lit = /\tpush\t\{r4, r5, r6, r7, lr\}\n\tmov\tr4, (r\d+)\n\tpush\t\{r4\}\n/.exec(asm)![1];
  t.regex(asm, new RegExp(`\\tpush\\t\\{r4\\}\\n\\tpush\\t\\{r4\\}\\t@ fewmul: alignment\\n\\tldr\\tr4, (\\.LFWK\\d+)\\+0\\n\\tmov\\t${lit}, r4\\n\\tb\\t\\1_end\\n\\t\\.align\\t2\\n\\1:\\n\\t\\.word\\tfewmul_linear_memory\\n\\1_end:\\n\\tsub\\tsp, sp, #40\\n`));
  t.is(asm.match(new RegExp(`\\tmov\\tr2, ${lit}\\t@ fewmul: fewmul_linear_memory`, "g"))?.length, 2);
  // the slots: the caller's value in the freed slot
  const reg8 = /\tmov\t(r\d+), r0\t@ fewmul: slot 8/.exec(asm)![1];
  const reg12 = /\tmov\t(r\d+), r1\t@ fewmul: slot 12/.exec(asm)![1];
  t.not(reg8, reg12);
  t.true(![reg8, reg12].includes(lit));
  t.regex(asm, new RegExp(`\\tmov\\tr4, ${reg8}\\n\\tstr\\tr4, \\[sp, #8\\]`));
  t.regex(asm, new RegExp(`\\tmov\\tr3, ${reg8}\\t@ fewmul: slot 8\\n`));
  t.regex(asm, new RegExp(`\\tmov\\t${reg12}, r0\\t@ fewmul: slot 12\\n`));
  t.regex(asm, /\tstr\tr3, \[sp, #4\]\n\tldr\tr5, \[sp, #4\]/, "outgoing arguments stay on the stack");
  t.regex(asm, /\tldr\tr0, \[sp, #28\]/, "a cold slot stays");
  t.regex(asm, /\tldr\tr4, \[sp, #68\]/, "the incoming argument is 8 bytes further up (one register and a word for sp's 8-byte alignment)");
  // the epilogue: slots back before the frame goes, the constant's register popped after
  t.regex(asm, new RegExp(`\\tldr\\tr4, \\[sp, #(8|12)\\]\\n\\tmov\\t(${reg8}|${reg12}), r4\\n\\tldr\\tr4, \\[sp, #(8|12)\\]\\n\\tmov\\t(${reg8}|${reg12}), r4\\n\\tadd\\tsp, sp, #40\\n\\tpop\\t\\{r4\\}\\t@ fewmul: alignment\\n\\tpop\\t\\{r4\\}\\n\\tmov\\t${lit}, r4\\n\\t@ sp needed\\n\\tpop\\t\\{r4, r5, r6, r7, pc\\}`));
});

test("a constant gcc loads between the push and the frame's sub is set before that use", (t) => {
  const early = FN().replace("\tsub\tsp, sp, #40\n", "\tldr\tr2, .L9\n\tsub\tsp, sp, #40\n");
  const { asm } = spillsToHighRegisters(early);
  const lit = /\tmov\tr4, (r\d+)\n\tpush\t\{r4\}/.exec(asm)![1];
  const set = asm.indexOf(`\tmov\t${lit}, r4\n`), use = asm.indexOf(`\tmov\tr2, ${lit}\t@ fewmul`);
  t.true(set > 0 && use > set, "loaded first");
  t.true(use < asm.indexOf("\tsub\tsp, sp, #40"), "the early use is the one before the sub");
  const spEarly = FN().replace("\tsub\tsp, sp, #40\n", "\tstr\tr3, [sp, #4]\n\tsub\tsp, sp, #40\n");
  t.is(spillsToHighRegisters(spEarly).asm, spEarly, "an sp access before the frame exists: left alone");
});

test("a function that uses a high register, or sp in a way not understood, stays as gcc wrote it", (t) => {
  const high = FN("\tmov\tr8, r3\n");
  t.is(spillsToHighRegisters(high).asm, high);
  const sp = FN("\tmov\tr3, sp\n\tstr\tr3, [r0]\n");
  t.is(spillsToHighRegisters(sp).asm, sp);
  t.is(spillsToHighRegisters(FN(), new Set(["w2c_f1"])).asm, FN(), "kept on request");
});

test("frame addresses taken: the slots they may reach stay on the stack", (t) => {
  // gcc's narrow access to slot 8 (movs; mov sp; adds; ldrh), the address then replaced, and
  // a local object at 12
  const narrow = FN("\tmovs\tr2, #8\n\tmov\tr3, sp\n\tadds\tr3, r3, r2\n\tldrh\tr2, [r3]\n\tmovs\tr3, #1\n\tadd\tr0, sp, #12\n");
  const { asm } = spillsToHighRegisters(narrow);
  t.notRegex(asm, /fewmul: slot (8|12)/);
  t.regex(asm, /fewmul: fewmul_linear_memory/, "the constant still moves");
  // the same address at an offset: the slot it reaches
  const offset = FN("\tmovs\tr2, #8\n\tmov\tr3, sp\n\tadds\tr3, r3, r2\n\tldrb\tr3, [r3, #4]\n");
  const reached = spillsToHighRegisters(offset).asm;
  t.notRegex(reached, /fewmul: slot 12/);
  t.regex(reached, /fewmul: slot 8/);
  // past 255 bytes gcc scales the offset (lsls), and schedules the lines among others
  const far = FN("\tmovs\tr1, #4\n\tmov\tr3, sp\n\tmovs\tr2, #1\n\tlsls\tr1, r1, #1\n\tadds\tr3, r3, r1\n\tldrh\tr2, [r3]\n");
  const scaled = spillsToHighRegisters(far).asm;
  t.notRegex(scaled, /fewmul: slot 8/);
  t.regex(scaled, /fewmul: slot 12/);
  // the address goes elsewhere (a call's argument): the function stays as gcc wrote it
  const escapes = FN("\tmovs\tr2, #8\n\tmov\tr3, sp\n\tadds\tr3, r3, r2\n\tmovs\tr0, r3\n");
  t.is(spillsToHighRegisters(escapes).asm, escapes);
});

test("the runtime's stack-depth check reads sp without making it an address", (t) => {
  const check = FN(`	.syntax divided
@ 25 "/x/boards/firmware/wasm_rt_baremetal.h" 1
	mov r2, sp
@ 0 "" 2
	.thumb
	.syntax unified
	cmp	r2, r1
`);
  t.regex(spillsToHighRegisters(check).asm, /fewmul: slot 8/);
});

test("a reload right after a load or spill of the same slot becomes a move or goes", (t) => {
  const asm = [
    "\tldr\tr2, [sp, #8]", "\tldr\tr3, [sp, #8]", // -> mov r3, r2
    "\tstr\tr1, [sp, #12]", "\tldr\tr1, [sp, #12]", // -> dropped
    "\tstr\tr1, [sp, #16]", "\tldr\tr0, [sp, #20]", // another slot: stays
    "\tldr\tr0, [sp, #24]", ".L5:", "\tldr\tr1, [sp, #24]", // a label between: stays
  ].join("\n");
  const { asm: out, moves } = reloadsAsMoves(asm);
  t.is(moves, 2);
  t.deepEqual(out.split("\n"), [
    "\tldr\tr2, [sp, #8]", "\tmov\tr3, r2\t@ fewmul: reload",
    "\tstr\tr1, [sp, #12]", "\t@ fewmul: reload of r1 dropped",
    "\tstr\tr1, [sp, #16]", "\tldr\tr0, [sp, #20]",
    "\tldr\tr0, [sp, #24]", ".L5:", "\tldr\tr1, [sp, #24]",
  ]);
});
