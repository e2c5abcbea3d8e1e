// Size arithmetic without a multiply instruction (assembly/shared/arith.ts, shared with the host).
export { product } from "./shared/arith";
