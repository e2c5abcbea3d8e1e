/* The module's env.flash_* imports for wasm2c builds (docs/device-abi.md), shared by the
 * byte-pump firmware (wasm2c_glue.c) and the bench firmware (bench_main.c). */
#ifndef WASM2C_ENV_H
#define WASM2C_ENV_H
#include "module.h"

/* What Z_fewmul_instantiate takes as its env import instance. */
extern struct Z_env_instance_t wasm2c_env;

/* The instance whose linear memory the imports' addresses point into. */
void wasm2c_env_bind(Z_fewmul_instance_t *instance);

#endif
