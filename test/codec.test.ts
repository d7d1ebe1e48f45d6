// The payload codec (config/payloadCodec.ts), its keys file, and the codec server routes
// (api/routes/codec.ts) over fake services. The codec against a real server: test/codec-e2e.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DefaultPayloadConverter, type Payload } from '@temporalio/common';
import { ConfigError } from '../config/config.js';
import { parseCodecKeys } from '../config/codecKeys.js';
import { EncryptionCodec, payloadDataConverter } from '../config/payloadCodec.js';
import { buildApp } from '../api/app.js';
import { TOKENS, bearer, fakeDeps, useFakeApp } from './support/apiFakes.js';
import { newKey, writeKeysFile } from './support/codecKeys.js';

const converter = new DefaultPayloadConverter();
const meta = (p: Payload, key: string) => Buffer.from(p.metadata?.[key] ?? []).toString('utf8');
const SECRET_NAME = { secret: 'lke-admin-token-x7k2p', node: 'lke1234-5678-abcdef' };

describe('payload codec (AES-256-GCM)', () => {
  const k1 = newKey();
  const k2 = newKey();

  it('encrypts the whole payload, marks it, and decrypts it back', async () => {
    const codec = new EncryptionCodec(parseCodecKeys({ activeKeyId: 'k1', keys: { k1 } }));
    const plain = converter.toPayload(SECRET_NAME);
    const [encrypted] = await codec.encode([plain]);
    assert.equal(meta(encrypted, 'encoding'), 'binary/encrypted');
    assert.equal(meta(encrypted, 'encryption-key-id'), 'k1');
    assert.ok(!Buffer.from(encrypted.data!).includes('lke-admin-token'), 'no plaintext in the encrypted data');
    assert.ok(!Buffer.from(encrypted.data!).includes('json/plain'), 'the inner encoding is encrypted too');
    const [decoded] = await codec.decode([encrypted]);
    assert.deepEqual(converter.fromPayload(decoded), SECRET_NAME);
    // the same input twice gives different ciphertexts (a fresh IV each time)
    const [again] = await codec.encode([plain]);
    assert.notDeepEqual(Buffer.from(again.data!), Buffer.from(encrypted.data!));
  });

  it('passes payloads that are not encrypted through, so older plaintext histories still read', async () => {
    const codec = new EncryptionCodec(parseCodecKeys({ activeKeyId: 'k1', keys: { k1 } }));
    const plain = converter.toPayload({ a: 1 });
    assert.deepEqual(await codec.decode([plain]), [plain]);
  });

  it('key rotation: the new active key encrypts, the old one still decrypts; an unknown key id fails clearly', async () => {
    const before = new EncryptionCodec(parseCodecKeys({ activeKeyId: 'k1', keys: { k1 } }));
    const [old] = await before.encode([converter.toPayload('written under k1')]);

    const rotated = new EncryptionCodec(parseCodecKeys({ activeKeyId: 'k2', keys: { k1, k2 } }));
    assert.equal(converter.fromPayload((await rotated.decode([old]))[0]), 'written under k1');
    const [fresh] = await rotated.encode([converter.toPayload('written under k2')]);
    assert.equal(meta(fresh, 'encryption-key-id'), 'k2');

    const k1Retired = new EncryptionCodec(parseCodecKeys({ activeKeyId: 'k2', keys: { k2 } }));
    assert.equal(converter.fromPayload((await k1Retired.decode([fresh]))[0]), 'written under k2');
    await assert.rejects(k1Retired.decode([old]), (err: Error) => {
      assert.equal(err.name, 'ValueError');
      assert.match(err.message, /key id 'k1', which is not among the codec keys \(k2\)/);
      return true;
    });
  });

  it('a payload relabelled to another key id or tampered with fails authentication', async () => {
    const codec = new EncryptionCodec(parseCodecKeys({ activeKeyId: 'k1', keys: { k1, k2 } }));
    const [encrypted] = await codec.encode([converter.toPayload('x')]);
    const relabelled = { ...encrypted, metadata: { ...encrypted.metadata, 'encryption-key-id': Buffer.from('k2') } };
    await assert.rejects(codec.decode([relabelled]), /failed authentication/);
    const data = Buffer.from(encrypted.data!);
    data[20] ^= 1;
    await assert.rejects(codec.decode([{ ...encrypted, data }]), /failed authentication/);
  });

  it('the keys file: bad keys and ids fail with messages that hold no key material', async () => {
    const short = Buffer.from('too short').toString('base64');
    assert.throws(() => parseCodecKeys({ activeKeyId: 'k1', keys: { k1: short } }), (err: Error) =>
      err instanceof ConfigError && /key 'k1' must be the base64 of exactly 32 bytes/.test(err.message) && !err.message.includes(short));
    assert.throws(() => parseCodecKeys({ activeKeyId: 'k3', keys: { k1 } }), (err: Error) =>
      /activeKeyId 'k3' is not one of the keys \(k1\)/.test(err.message) && !err.message.includes(k1));
    assert.throws(() => parseCodecKeys({ activeKeyId: 'bad id', keys: { k1 } }), ConfigError);
    assert.throws(() => parseCodecKeys({ keys: { k1 } }), ConfigError);
    assert.equal(payloadDataConverter(undefined), undefined, 'no keys file: no codec');
    const path = await writeKeysFile({ activeKeyId: 'k2', keys: { k1, k2 } });
    assert.equal(payloadDataConverter(path)?.payloadCodecs?.length, 1);
  });
});

describe('codec server routes', () => {
  const codec = new EncryptionCodec(parseCodecKeys({ activeKeyId: 'k1', keys: { k1: newKey() } }));
  const WEB = 'http://temporal-web.example:8233';
  const fake = useFakeApp({ codecs: [codec], webUrl: WEB });
  const asJson = (p: Payload) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
    data: Buffer.from(p.data ?? []).toString('base64'),
  });

  it('decodes for any role, encodes for operators only, and refuses anonymous callers', async () => {
    const [encrypted] = await codec.encode([converter.toPayload(SECRET_NAME)]);
    const body = { payloads: [asJson(encrypted)] };
    const anonymous = await fake.app.inject({ method: 'POST', url: '/codec/decode', payload: body });
    assert.equal(anonymous.statusCode, 401);
    assert.ok(!anonymous.body.includes('lke-admin-token'));

    const decoded = await fake.app.inject({ method: 'POST', url: '/codec/decode', headers: bearer(TOKENS.viewer), payload: body });
    assert.equal(decoded.statusCode, 200, decoded.body);
    const [payload] = decoded.json().payloads as { metadata: Record<string, string>; data: string }[];
    assert.equal(Buffer.from(payload.metadata.encoding, 'base64').toString(), 'json/plain');
    assert.deepEqual(JSON.parse(Buffer.from(payload.data, 'base64').toString()), SECRET_NAME);

    const plain = { payloads: [asJson(converter.toPayload('input'))] };
    assert.equal((await fake.app.inject({ method: 'POST', url: '/codec/encode', headers: bearer(TOKENS.viewer), payload: plain })).statusCode, 403);
    const encoded = await fake.app.inject({ method: 'POST', url: '/codec/encode', headers: bearer(TOKENS.operator), payload: plain });
    assert.equal(encoded.statusCode, 200);
    const [out] = encoded.json().payloads as { metadata: Record<string, string> }[];
    assert.equal(Buffer.from(out.metadata.encoding, 'base64').toString(), 'binary/encrypted');
    assert.equal(Buffer.from(out.metadata['encryption-key-id'], 'base64').toString(), 'k1');
  });

  it('an unknown key id is a 400 naming it', async () => {
    const other = new EncryptionCodec(parseCodecKeys({ activeKeyId: 'retired', keys: { retired: newKey() } }));
    const [encrypted] = await other.encode([converter.toPayload('x')]);
    const res = await fake.app.inject({
      method: 'POST', url: '/codec/decode', headers: bearer(TOKENS.viewer), payload: { payloads: [asJson(encrypted)] },
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.message, /key id 'retired'/);
  });

  it('answers CORS for Temporal Web only, preflight included', async () => {
    const preflight = await fake.app.inject({
      method: 'OPTIONS', url: '/codec/decode',
      headers: { origin: WEB, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
    });
    assert.equal(preflight.statusCode, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], WEB);
    assert.match(String(preflight.headers['access-control-allow-headers']), /Authorization/);
    assert.equal(preflight.headers['access-control-allow-credentials'], 'true');
    const elsewhere = await fake.app.inject({
      method: 'OPTIONS', url: '/codec/decode', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(elsewhere.headers['access-control-allow-origin'], undefined);
    // the real request from Temporal Web carries the header too, errors included
    const denied = await fake.app.inject({ method: 'POST', url: '/codec/decode', headers: { origin: WEB }, payload: { payloads: [] } });
    assert.equal(denied.statusCode, 401);
    assert.equal(denied.headers['access-control-allow-origin'], WEB);
  });

  it('without codecs there are no codec routes', async () => {
    const app = await buildApp(fakeDeps());
    try {
      const res = await app.inject({ method: 'POST', url: '/codec/decode', headers: bearer(TOKENS.viewer), payload: { payloads: [] } });
      assert.equal(res.statusCode, 404);
    } finally {
      await app.close();
    }
  });
});
