#!/bin/sh
# Toolchain for the emulated boards (boards/qemu-*.json): wasm2c, the Arm bare-metal
# compiler + newlib, QEMU, socat; Fashion-MNIST for its dataset test and the accuracy
# bench; Chromium, in which test:boards renders the HTML report. Debian/Ubuntu, run as root (CI). Idempotent: apt skips what is installed. Quiet
# unless something fails; exits non-zero on failure.
set -eu

PACKAGES="socat qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi wabt dataset-fashion-mnist chromium"

if [ "$(id -u)" -ne 0 ]; then
  echo "install-toolchain.sh: run as root (apt-get install)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $PACKAGES; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-toolchain.sh: apt-get failed" >&2
  exit 1
fi

# Fail now, not in the first build, if a tool is still missing.
for tool in wasm2c arm-none-eabi-gcc arm-none-eabi-size qemu-system-arm socat chromium; do
  command -v "$tool" >/dev/null || { echo "install-toolchain.sh: $tool missing after install" >&2; exit 1; }
done
echo "toolchain: $(wasm2c --version), $(arm-none-eabi-gcc -dumpversion), $(qemu-system-arm --version | head -n1), $(chromium --version 2>/dev/null | head -n1)"
