// The search attributes of the contract (docs/design.md, "Fixed names"), declared once as typed SDK
// keys. Pure, so the workflows set them, the client filters on them and the dev server / operator
// service registers them from this one list.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const LKE_CLUSTER_ID = defineSearchAttributeKey('LkeClusterId', SearchAttributeType.INT);
export const LKE_REGION = defineSearchAttributeKey('LkeRegion', SearchAttributeType.KEYWORD);
export const ROTATION_PHASE = defineSearchAttributeKey('RotationPhase', SearchAttributeType.KEYWORD);
export const FLEET_ROTATION_ID = defineSearchAttributeKey('FleetRotationId', SearchAttributeType.KEYWORD);
export const REQUESTED_BY = defineSearchAttributeKey('RequestedBy', SearchAttributeType.KEYWORD);

export const ROTATION_SEARCH_ATTRIBUTE_KEYS = [
  LKE_CLUSTER_ID, LKE_REGION, ROTATION_PHASE, FLEET_ROTATION_ID, REQUESTED_BY,
] as const;
