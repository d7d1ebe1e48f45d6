// End-to-end encryption of workflow payloads (inputs, results, activity arguments, Update and Query
// payloads, memo, user metadata): a Temporal PayloadCodec with AES-256-GCM, so the Temporal server
// (which other teams may share) stores no cluster topology in plaintext. Codecs run in the worker
// and client processes, outside the workflow sandbox, which is where node:crypto is allowed.
//
// The encoded payload keeps the shape of Temporal's encryption samples, so a codec server or tool
// written for them recognises it: metadata `encoding: binary/encrypted` and `encryption-key-id`, and
// data = IV (12 bytes) | ciphertext of the whole original Payload (protobuf) | GCM tag (16 bytes).
// The key id is also the cipher's additional data: a payload relabelled to another key fails.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
// The proto package is CommonJS: Node's ESM loader sees only its default export.
import proto from '@temporalio/proto';
import { loadCodecKeys, type CodecKeys } from './codecKeys.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const ENCRYPTION_KEY_ID_METADATA = 'encryption-key-id';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const { Payload: PayloadMessage } = proto.temporal.api.common.v1;
const utf8 = (bytes: Uint8Array | null | undefined): string | undefined =>
  bytes ? Buffer.from(bytes).toString('utf8') : undefined;

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keys: CodecKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keys.activeKeyId;
    const key = this.keys.keys.get(keyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(keyId, 'utf8'));
      const plaintext = PayloadMessage.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [ENCRYPTION_KEY_ID_METADATA]: Buffer.from(keyId),
        },
        data,
      };
    });
  }

  /** Payloads that are not encrypted pass through: histories written before the codec was on still read. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (utf8(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
      const keyId = utf8(payload.metadata?.[ENCRYPTION_KEY_ID_METADATA]);
      if (!keyId) throw new ValueError(`an encrypted payload has no ${ENCRYPTION_KEY_ID_METADATA} metadata`);
      const key = this.keys.keys.get(keyId);
      if (!key) {
        throw new ValueError(
          `a payload is encrypted with key id '${keyId}', which is not among the codec keys ` +
            `(${[...this.keys.keys.keys()].join(', ')}): add it back to the keys file to read this history`,
        );
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError(`an encrypted payload (key id '${keyId}') is truncated`);
      const decipher = createDecipheriv(ALGORITHM, key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(keyId, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plaintext: Buffer;
      try {
        plaintext = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new ValueError(`an encrypted payload (key id '${keyId}') failed authentication: wrong key or tampered data`);
      }
      return PayloadMessage.decode(plaintext) as Payload;
    });
  }
}

/**
 * The data converter of every Temporal client and worker of the service: encrypting when a keys file
 * is configured, the SDK default (undefined) otherwise, so the dev stack and tests run without keys.
 */
export function payloadDataConverter(keysFile: string | undefined): DataConverter | undefined {
  return keysFile === undefined ? undefined : { payloadCodecs: [new EncryptionCodec(loadCodecKeys(keysFile))] };
}
