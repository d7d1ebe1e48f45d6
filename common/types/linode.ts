// Shared types: Linode API v4 (LKE) shapes. Pure declarations only (workflows import them).

// ---------------------------------------------------------------------------------------------
// Linode API v4 (LKE) shapes, as the real API returns them (docs/design.md, 'Facts about the real APIs').

export type LinodeClusterStatus = 'ready' | 'not_ready';
export type LinodeNodeStatus = 'ready' | 'not_ready';

export interface LkeCluster {
  id: number;
  label: string;
  region: string;
  k8s_version: string;
  status: LinodeClusterStatus;
  tier: 'standard' | 'enterprise';
  tags: string[];
  control_plane: { high_availability: boolean };
  created: string;
  updated: string;
}

export interface LkePoolNode {
  /** `<poolId>-<hex>` */
  id: string;
  instance_id: number | null;
  status: LinodeNodeStatus;
}

export interface LkePool {
  id: number;
  type: string;
  count: number;
  nodes: LkePoolNode[];
  tags: string[];
  disks: unknown[];
  autoscaler: { enabled: boolean; min: number; max: number };
}

export interface LinodePage<T> {
  data: T[];
  page: number;
  pages: number;
  results: number;
}

export interface LinodeErrorBody {
  errors: { reason: string; field?: string }[];
}
