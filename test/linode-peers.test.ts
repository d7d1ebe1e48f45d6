// How many worker processes share the Linode budget (worker/linodePeers.ts): the identities Temporal
// lists polling the Linode queue, this process's own counted even before its first poll shows. The
// watch reports them to the budget at once and then every interval.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { PeerView } from '../activities/linode/budget.js';
import { linodePeers, peerWatchIntervalMs, watchLinodePeers } from '../worker/linodePeers.js';
import { useTemporal } from './support/temporal.js';
import { waitFor } from './support/waitFor.js';

const temporal = useTemporal();

test('counts the distinct identities polling the queue for activities, and this one', async () => {
  const taskQueue = `linode-peers-${randomUUID()}`;
  const { connection, namespace, address } = temporal.server;
  assert.equal(await linodePeers(connection, namespace, taskQueue, 'me'), 1, 'alone before anyone polls');

  // two worker processes, as far as Temporal can tell: a connection and an identity each (the SDK
  // refuses two workers of one queue on one connection)
  const connections = await Promise.all([0, 1].map(() => NativeConnection.connect({ address })));
  const workers = await Promise.all(['pod-a', 'pod-b'].map((identity, i) => Worker.create({
    connection: connections[i], namespace, taskQueue, identity, activities: { noop: async () => undefined },
  })));
  const running = workers.map((w) => w.run());
  try {
    await waitFor('both pollers listed', () => linodePeers(connection, namespace, taskQueue, 'me'), (n) => n === 3, 15_000, 100);
    // this process's own identity among the pollers counts once
    assert.equal(await linodePeers(connection, namespace, taskQueue, 'pod-a'), 2);

    const views: PeerView[] = [];
    const watch = watchLinodePeers({ connection, namespace, taskQueue, identity: 'me', windowMs: 4_000, onPeers: (v) => views.push(v) });
    try {
      await waitFor('two looks', async () => views.length, (n) => n >= 2, 5_000);
    } finally {
      watch.stop();
    }
    assert.deepEqual(views[0], { peers: 3, noticeMs: peerWatchIntervalMs(4_000) });
  } finally {
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    await Promise.all(connections.map((c) => c.close()));
  }
});

test('looks often enough to see a new peer well within a window, between 250 ms and 10 s', () => {
  assert.equal(peerWatchIntervalMs(120_000), 10_000);
  assert.equal(peerWatchIntervalMs(4_000), 333);
  assert.equal(peerWatchIntervalMs(1_000), 250);
});
