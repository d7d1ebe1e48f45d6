// Payloads read outside a workflow (history events, heartbeat details) go through the client's own
// converter and codecs, so an encrypted deployment reads them as the worker wrote them.
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';

/** The first payload decoded, or undefined when there is none. */
export async function decodeFirstPayload<T>(client: Client, payloads: Payload[] | null | undefined): Promise<T | undefined> {
  const { payloadConverter, payloadCodecs } = client.workflow.options.loadedDataConverter;
  let decoded = payloads ?? [];
  for (const codec of [...payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return decoded[0] ? payloadConverter.fromPayload<T>(decoded[0]) : undefined;
}
