// The simulator's sense of time. Real LKE waits minutes (kubeconfig 2-5 min, recycles, rollouts);
// a time scale of 0.001 makes a simulated minute take 60 ms of real time.

export class SimClock {
  constructor(public timeScale = 1) {}

  /** real milliseconds for a simulated duration */
  real(simulatedMs: number): number {
    return Math.max(0, Math.round(simulatedMs * this.timeScale));
  }

  /** Runs `fn` after a simulated delay; unref'd so a forgotten timer never keeps a process alive. */
  after(simulatedMs: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(fn, this.real(simulatedMs));
    timer.unref();
    return timer;
  }

  sleep(simulatedMs: number): Promise<void> {
    return new Promise((resolve) => { this.after(simulatedMs, resolve); });
  }
}
