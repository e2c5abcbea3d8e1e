// `npm run test:boards`: tests that need Debian tools (socat, QEMU, the ARM compiler, wabt),
// installed by scripts/install-toolchain.sh. They fail, not skip, when a tool is missing.
export default {
  files: ["test/boards/**/*.test.ts"],
  extensions: { ts: "module" },
  nodeArguments: ["--import=tsx"],
  workerThreads: false,
  timeout: "5m",
  concurrency: 1,
};
