// `npm run bench`: every benchmark in turn, printing its figures. Each runs on its own servers and
// stops them; `npm run bench -- sim rotation` runs only the named ones.
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { runFleetBench } from './fleet.bench.js';
import { runNodeWorkBench } from './nodework.bench.js';
import { runRotationBench } from './rotation.bench.js';
import { runScaleBench } from './scale.bench.js';
import { runSimBench } from './sim.bench.js';
import { runStatusBench } from './status.bench.js';

const BENCHES: Record<string, { what: string; run: () => Promise<Record<string, number>> }> = {
  sim: { what: 'simulator: 1000 clusters start-up, memory, requests per second', run: runSimBench },
  rotation: { what: 'one cluster rotation with near-zero simulated waits: orchestration overhead, history size', run: runRotationBench },
  nodework: { what: 'full rotation (restart all, drain + recycle, gates off) at ~10+1, 100+10, 300+30 workloads+nodes: history events (goal <= 80, flat), wall time', run: runNodeWorkBench },
  fleet: { what: 'fleet of 1000 clusters at concurrency 50 and 200: wall vs floor, largest history, memory', run: runFleetBench },
  scale: { what: 'fleet of 1000 at concurrency 200, two worker processes, the simulator out of process with Linode\'s limits on: wall vs floor, 429s, calls per rotation, worker RSS (goal: 0 failed or Blocked by 429, wall/floor <= 1.1)', run: () => runScaleBench() },
  status: { what: 'GET /v1/rotations/:clusterId, 32 callers during a 200-cluster fleet: every request reads vs 1 s and the default 5 s bound (goal >= 1000 req/s, p99 <= 50 ms)', run: runStatusBench },
};

Runtime.install({ logger: new DefaultLogger('WARN') });
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in BENCHES));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark: ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}\n`);
  process.exit(2);
}
for (const [name, bench] of Object.entries(BENCHES)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stdout.write(`\n## ${name}: ${bench.what}\n`);
  const figures = await bench.run();
  for (const [figure, value] of Object.entries(figures)) process.stdout.write(`${figure.padEnd(34)} ${value}\n`);
}
