// Checkpoint storage offered by the board (docs/device-abi.md, imports from module "env").

// @ts-ignore: decorator
@external("env", "flash_size")
export declare function flash_size(): i32;

// @ts-ignore: decorator
@external("env", "flash_read")
export declare function flash_read(offset: i32, dst: i32, len: i32): i32;

// @ts-ignore: decorator
@external("env", "flash_write")
export declare function flash_write(offset: i32, src: i32, len: i32): i32;
