// The end of a serving command (emulate, flash): the first of some signals, or another event.

export interface StopWait {
  /** Resolves with the signal's name, or with the reason given to stop(). */
  readonly stopped: Promise<string>;
  /** Ends the wait for another reason (e.g. the served process exited). */
  stop(reason: string): void;
  /** Removes the signal handlers; call it when the command ends, whatever happened. */
  dispose(): void;
}

/**
 * Handles `signals` from now on (so register before announcing a port: a client may stop the
 * command at once); the first one ends the wait instead of killing the process.
 */
export function waitForStop(signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM"]): StopWait {
  let stop!: (reason: string) => void;
  const stopped = new Promise<string>((resolve) => { stop = resolve; });
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  for (const s of signals) process.once(s, onSignal);
  return {
    stopped, stop,
    dispose() { for (const s of signals) process.removeListener(s, onSignal); },
  };
}
