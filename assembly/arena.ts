// One arena, sized from the spec before anything is written, allocated once at init:
// the model state (persistent, saved as one blob) first, then the training scratch. What goes
// where is assembly/shared/arena.ts (the host plans memory with it too); this is the allocator.

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
