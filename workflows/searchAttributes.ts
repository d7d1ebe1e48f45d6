// Typed keys for the search attributes of ROTATION.md section 5 (registered on the namespace by the
// engine). Pure, so both the workflow and the client import them.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const LKE_CLUSTER_ID = defineSearchAttributeKey('LkeClusterId', SearchAttributeType.INT);
export const LKE_REGION = defineSearchAttributeKey('LkeRegion', SearchAttributeType.KEYWORD);
export const ROTATION_PHASE = defineSearchAttributeKey('RotationPhase', SearchAttributeType.KEYWORD);
export const FLEET_ROTATION_ID = defineSearchAttributeKey('FleetRotationId', SearchAttributeType.KEYWORD);
export const REQUESTED_BY = defineSearchAttributeKey('RequestedBy', SearchAttributeType.KEYWORD);

export const ROTATION_SEARCH_ATTRIBUTE_KEYS = [
  LKE_CLUSTER_ID, LKE_REGION, ROTATION_PHASE, FLEET_ROTATION_ID, REQUESTED_BY,
] as const;
