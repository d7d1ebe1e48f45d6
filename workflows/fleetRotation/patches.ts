// The fleet workflow's patch ids (patched()). Histories recorded before a patch replay its old
// commands; never rename an id, only add new ones.

/** an empty selector (no criteria, no `all: true`) fails the fleet instead of selecting every cluster */
export const EMPTY_SELECTOR_PATCH = 'fleet-empty-selector-needs-all';

/**
 * the fleet runs stages (the old `waves` input as canary and rest), and a soak is a health check of
 * the stage's clusters (checkStageHealth) instead of a timer; decided once, at selection: runs
 * selected before it keep their waves in the carried state (no `stages`) and the timer soak
 */
export const FLEET_STAGES_PATCH = 'fleet-stages-health-soak';
