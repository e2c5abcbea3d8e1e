// One arena, sized from the spec before anything is written, allocated once at init:
// the model state (persistent, saved as one blob) first, then the training scratch.
//
//  __heap_base
//  | state header 64 B | rng, step, lr 32 B | per layer: w int16[nIn][nOut], bias,        |
//  |                   |                    |   running mean, running spread int32[nOut] |
//  +------------------------------------------------------------------- state end ------+
//  | batch inputs uint8[B][n0] | labels uint8[B] | per layer: k, means int32[nOut],       |
//  |   kept rows u32 (layers > 0), activations uint8[B][nOut] (hidden) | row bits | acc | |
//  | ping int32[B][max nOut] | pong int32[B][L > 2 ? max hidden : nL]                      |
//  +------------------------------------------------------------------- arena end ------+

// @ts-ignore: decorator
@inline export function align4(n: usize): usize { return (n + 3) & ~3; }

let cursor: usize = 0;

export function arenaStart(): usize { return (__heap_base + 15) & ~15; }
export function arenaReset(): void { cursor = arenaStart(); }
export function arenaTake(bytes: usize): usize { let p = cursor; cursor += align4(bytes); return p; }
export function arenaEnd(): usize { return cursor; }

/** Grows linear memory to hold the arena; false when the host's limit refuses. */
export function arenaCommit(): bool {
  let pages = <i32>((cursor + 0xFFFF) >>> 16);
  let have = memory.size();
  return pages <= have || memory.grow(pages - have) >= 0;
}
