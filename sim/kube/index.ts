// The Kubernetes side of the LKE simulator: per-cluster object stores and controllers (KubeCluster)
// and the one HTTPS listener that serves them all.
export { KubeCluster, lkeTokenServiceAccounts, ADMIN_SERVICE_ACCOUNT, type KubeSeed } from './cluster.js';
export { startKubeServer, clusterServerUrl, type KubeServerOptions, type KubeServer } from './server.js';
export type { KubeObject } from './store.js';
