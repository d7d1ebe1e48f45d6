// The search attributes of ROTATION.md section 5 as SDK keys, for the dev server's start-up flags and
// for registering them on a real cluster through the operator service.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../common/names.js';

const SDK_TYPES = {
  Int: SearchAttributeType.INT,
  Keyword: SearchAttributeType.KEYWORD,
} as const;

export const ROTATION_SEARCH_ATTRIBUTE_KEYS = Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) =>
  defineSearchAttributeKey(name, SDK_TYPES[type]),
);
