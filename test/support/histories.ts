// Recorded workflow histories: the fixture form (protobuf's own object mapping, which loads back
// losslessly), recording them (RECORD_HISTORIES=1), and history as readable text for secret checks.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';

export type History = proto.temporal.api.history.v1.IHistory;
const HistoryProto = proto.temporal.api.history.v1.History;

export const HISTORIES = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
/** Set RECORD_HISTORIES=1 to rewrite the replay fixtures from this run. */
export const RECORD = process.env.RECORD_HISTORIES === '1';

export const historyToFixture = (h: History): string =>
  JSON.stringify(HistoryProto.toObject(HistoryProto.fromObject(h), { longs: String, enums: String, bytes: String }), null, 1);

export const historyFromFixture = (json: string): proto.temporal.api.history.v1.History => HistoryProto.fromObject(JSON.parse(json));

/** Writes test/fixtures/histories/<name>.json when recording; a no-op otherwise. */
export function recordFixture(name: string, history: History): void {
  if (!RECORD) return;
  mkdirSync(HISTORIES, { recursive: true });
  writeFileSync(`${HISTORIES}${name}.json`, historyToFixture(history));
}

/** Every recorded history, by file name. */
export function recordedHistories(): { workflowId: string; history: proto.temporal.api.history.v1.History }[] {
  return readdirSync(HISTORIES).filter((f) => f.endsWith('.json'))
    .map((f) => ({ workflowId: f, history: historyFromFixture(readFileSync(`${HISTORIES}${f}`, 'utf8')) }));
}

/** History as text with payload bytes decoded, so a leaked token would show verbatim. */
export function historyText(h: History): string {
  // toObject without a bytes option keeps payload bytes as bytes (the message's own toJSON would base64 them).
  const plain = HistoryProto.toObject(HistoryProto.fromObject(h), { longs: String, enums: String });
  return JSON.stringify(plain, (_k, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    // Buffer.toJSON runs before the replacer sees the value
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return Buffer.from((v as { data: number[] }).data).toString('utf8');
    }
    return v;
  });
}
