/**
 * Unit tests for src/extract/initial-crypto.ts: the hand-written SHA-256, HMAC-SHA-256 and
 * AES-128 block encryption agree with OpenSSL (node:crypto) and with the published vectors.
 */
import * as crypto from 'crypto';
import fc from 'fast-check';
import { aes128EncryptBlock, aes128Key, hmac, hmacKey, sha256 } from '../../../src/extract/initial-crypto';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('sha256', () => {
  test('FIPS 180-4 example vectors', () => {
    expect(hex(sha256(Buffer.from('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha256(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))))
      .toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  test('agrees with OpenSSL at every length around the padding boundaries', () => {
    for (let n = 0; n <= 200; n++) {
      const m = crypto.randomBytes(n);
      expect(hex(sha256(m))).toBe(crypto.createHash('sha256').update(m).digest('hex'));
    }
  });
});

describe('hmac', () => {
  test('RFC 4231 test case 2', () => {
    const k = hmacKey(Buffer.from('Jefe'));
    expect(hex(hmac(k, Buffer.from('what do ya want for nothing?'))))
      .toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  test('agrees with OpenSSL for any key (short, block-sized, longer than a block) and message', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 150 }), fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 32 }), (key, msg, len) => {
      const want = crypto.createHmac('sha256', key).update(msg).digest().subarray(0, len);
      expect(hex(hmac(hmacKey(key), msg, len))).toBe(hex(want));
    }));
  });

  test('a prepared key gives the same result on every use (no state leaks between calls)', () => {
    const k = hmacKey(Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex'));
    const first = hex(hmac(k, Buffer.from('one')));
    hmac(k, crypto.randomBytes(300));
    expect(hex(hmac(k, Buffer.from('one')))).toBe(first);
  });
});

describe('aes128EncryptBlock', () => {
  test('FIPS 197 Appendix C.1 vector', () => {
    const out = new Uint8Array(16);
    aes128EncryptBlock(aes128Key(Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex')), Buffer.from('00112233445566778899aabbccddeeff', 'hex'), 0, out);
    expect(hex(out)).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
  });

  test('agrees with OpenSSL AES-128-ECB on random keys and blocks, at any offset', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 40 }), fc.nat(), (key, data, o) => {
      const off = o % (data.length - 15);
      const c = crypto.createCipheriv('aes-128-ecb', key, null);
      c.setAutoPadding(false);
      const want = c.update(data.subarray(off, off + 16));
      const out = new Uint8Array(16);
      aes128EncryptBlock(aes128Key(key), data, off, out);
      expect(hex(out)).toBe(hex(want));
    }));
  });

  test('refuses a key that is not 16 bytes', () => {
    expect(() => aes128Key(new Uint8Array(15))).toThrow(RangeError);
  });
});
