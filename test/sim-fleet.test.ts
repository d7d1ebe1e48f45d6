// The simulator's fleet generator: reproducible, LKE-shaped fleets whose Kubernetes sides are seeded
// lazily and identically whatever order clusters are first used in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimClock } from '../sim/clock.js';
import { generateFleet, K8S_VERSIONS, REGIONS } from '../sim/fleet.js';
import { SimState } from '../sim/state.js';
import { StandInKube } from './support/simLinodeHarness.js';

describe('fleet generator', () => {
  it('is reproducible from its seed and shaped like LKE', () => {
    const build = (seed: number): unknown => {
      const state = new SimState(new SimClock(1));
      const nodes: string[] = [];
      generateFleet(state, { clusters: 40, seed }, (s) => { nodes.push(...s.nodes.map((n) => `${n.name} ${n.providerID}`)); return new StandInKube(s); });
      for (const c of state.list()) assert.ok(c.kube);
      return { clusters: state.list().map((c) => ({ cluster: c.cluster, pools: c.pools })), nodes };
    };
    assert.deepEqual(build(5), build(5));
    assert.notDeepEqual(build(5), build(6));

    const state = new SimState(new SimClock(1));
    let seeded = 0;
    generateFleet(state, { clusters: 200, seed: 1 }, (s) => { seeded++; return new StandInKube(s); });
    assert.equal(seeded, 0, 'Kubernetes sides are seeded on first use');
    const clusters = state.list();
    assert.equal(clusters.length, 200);
    assert.equal(new Set(clusters.map((c) => c.cluster.label)).size, 200, 'labels are unique');
    assert.ok(new Set(clusters.map((c) => c.cluster.region)).size >= 5, 'several regions');
    assert.ok(clusters.every((c) => REGIONS.includes(c.cluster.region)));
    assert.deepEqual(new Set(clusters.map((c) => c.cluster.k8s_version)), new Set(K8S_VERSIONS));
    for (const { cluster, pools, instanceLabels } of clusters) {
      assert.ok(pools.length >= 1);
      for (const pool of pools) {
        assert.equal(pool.count, pool.nodes.length);
        for (const node of pool.nodes) {
          assert.match(node.id, new RegExp(`^${pool.id}-[0-9a-f]{10}$`));
          assert.equal(typeof node.instance_id, 'number');
          assert.match(instanceLabels.get(node.id) ?? '', new RegExp(`^lke${cluster.id}-${pool.id}-[0-9a-f]{12}$`));
        }
      }
    }
  });
});

describe('lazy Kubernetes seeding', () => {
  it('gives each cluster the same seed whatever order clusters are first used in', () => {
    const seedsInOrder = (reverse: boolean): string[] => {
      const state = new SimState(new SimClock(1));
      const seeds = new Map<number, string>();
      generateFleet(state, { clusters: 20, seed: 3 }, (s) => {
        seeds.set(s.clusterId, JSON.stringify({ ...s, random: [s.random(), s.random()] }));
        return new StandInKube(s);
      });
      const clusters = state.list();
      for (const c of reverse ? [...clusters].reverse() : clusters) {
        assert.equal(c.kubeSeeded, false);
        assert.ok(c.kube);
        assert.equal(c.kubeSeeded, true);
      }
      return clusters.map((c) => seeds.get(c.cluster.id) ?? '');
    };
    assert.deepEqual(seedsInOrder(true), seedsInOrder(false));
  });
});
