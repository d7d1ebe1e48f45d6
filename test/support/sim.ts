// Starts the LKE simulator for a test file and stops it when the file's tests are done, so no
// listener outlives the test process.
import { after, before } from 'node:test';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../sim/index.js';

/**
 * Call at the top level (or in a describe) of a test file. The returned getter is valid inside tests;
 * the simulator starts before the first test and stops after the last.
 */
export function useSimulator(options: SimulatorOptions = {}): () => Simulator {
  let sim: Simulator | undefined;
  before(async () => {
    sim = await startSimulator(options);
  });
  after(async () => {
    await sim?.stop();
    sim = undefined;
  });
  return () => {
    if (!sim) throw new Error('the simulator is not running (use the getter inside a test)');
    return sim;
  };
}

/** For a test that needs its own simulator (own faults, own time scale): started and always stopped. */
export async function withSimulator<T>(options: SimulatorOptions, fn: (sim: Simulator) => Promise<T>): Promise<T> {
  const sim = await startSimulator(options);
  try {
    return await fn(sim);
  } finally {
    await sim.stop();
  }
}
