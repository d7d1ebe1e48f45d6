// Fleet selection (activities/fleet.ts selectClusters): paging and X-Filter against an in-memory
// Linode API, and the real Linode adapter against the simulator. No Temporal.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { selectClusters } from '../activities/fleet.js';
import type { ListClustersOptions } from '../activities/ports.js';
import { createLinodePort } from '../activities/linode/adapter.js';
import { FakeLinode, range } from './support/fleetFakes.js';
import { withSimulator } from './support/sim.js';

describe('fleet selection', () => {
  test('selection pages through the API filtering on tags and regions and applies ids and the label pattern itself', async () => {
    const api = new FakeLinode();
    api.add('prod', range(1, 1200), 'us-ord');
    api.clusters[10].label = 'payments-eu-1';
    api.clusters[700].label = 'payments-us-2';
    api.clusters[701].label = 'search-us-1';

    const byGlob = await selectClusters(api, { tags: ['prod'], regions: ['us-ord', 'us-iad'], labelPattern: 'payments-*' });
    assert.deepEqual(byGlob.map((c) => c.id), [11, 701]);
    assert.deepEqual(api.requests.map((r) => r.page), [1, 2, 3], 'every page read, and no more');
    assert.deepEqual(api.requests[0].where, { tags: ['prod'], regions: ['us-ord', 'us-iad'] });

    assert.deepEqual((await selectClusters(api, { labelPattern: '/^(payments|search)-us-\\d$/' })).map((c) => c.id), [701, 702]);
    assert.deepEqual((await selectClusters(api, { clusterIds: [702, 5] })).map((c) => c.id), [5, 702]);
    await assert.rejects(selectClusters(api, { clusterIds: [5, 99_999] }), /clusters 99999 not found/);
    await assert.rejects(selectClusters(api, { labelPattern: '/(/' }), /labelPattern "\/\(\/" is not valid: .*missing closing \)/);
    await selectClusters(api, { clusterIds: [1] });
    assert.deepEqual(api.requests.at(-1)?.where, { tags: undefined, regions: undefined }, 'ids are not a Linode filter field');
  });


  test('selection through the real Linode adapter: the simulator accepts and applies the X-Filter', async () => {
    await withSimulator({ clusters: 80, seed: 7 }, async (sim) => {
      const port = createLinodePort({ apiUrl: sim.linodeApiUrl, token: sim.linodeToken });
      const { data: all } = await port.listClusters({ pageSize: 500 });
      const served: number[] = [];
      const counting = {
        listClusters: async (options?: ListClustersOptions) => {
          const page = await port.listClusters(options);
          served.push(page.results);
          return page;
        },
      };
      const selector = { tags: ['env:prod', 'pci'], regions: ['us-iad', 'us-ord', 'eu-west'], labelPattern: '{payments,search}-*' };
      const expected = all.filter((c) =>
        c.tags.some((tag) => selector.tags.includes(tag)) && selector.regions.includes(c.region) && /^(payments|search)-/.test(c.label));
      const picked = await selectClusters(counting, selector);
      assert.ok(expected.length > 0, 'the seed gives a non-empty selection');
      assert.deepEqual(picked.map((c) => c.id), expected.map((c) => c.id).sort((a, b) => a - b));
      const filteredByServer = all.filter((c) => c.tags.some((tag) => selector.tags.includes(tag)) && selector.regions.includes(c.region));
      assert.deepEqual(served, [filteredByServer.length], 'the server filtered on tags and regions in one page');
    });
  });
});
