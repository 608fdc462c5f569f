// The RADIUS packet layer against malformed and forged packets, and what the `radius` package
// (1.1.4) is trusted with: framing and Message-Authenticator checks are Passgate's own because
// the package's are too weak (shown here), attribute coding is the package's.
import radius from 'radius';
import { describe, expect, it } from 'vitest';
import { Dictionary } from '../../src/doors/radius/dictionary.js';
import { messageAuthenticatorOf, parsePacket, type RadiusPacket } from '../../src/doors/radius/packet.js';
import { readRequestAttributes } from '../../src/doors/radius/request-attributes.js';

const SECRET = 'packet-test-secret-0123';
const dictionary = new Dictionary([]);

const request = (userName = 'alice', identifier = 7) =>
  radius.encode({
    code: 'Access-Request',
    identifier,
    secret: SECRET,
    attributes: [
      ['User-Name', userName],
      ['User-Password', 'a password'],
    ],
    add_message_authenticator: true,
  });

const parsed = (bytes: Buffer) => parsePacket(bytes) as RadiusPacket;

describe('RADIUS packet framing (RFC 2865 §3, §5)', () => {
  it('reads a request, ignoring padding after its Length', () => {
    const bytes = request();
    const packet = parsed(Buffer.concat([bytes, Buffer.alloc(5)]));
    expect(packet.bytes.length).toBe(bytes.length);
    expect(packet.attributes.map((a) => a.type)).toEqual([1, 2, 80]);
  });

  it.each([
    ['shorter than a header', Buffer.alloc(19)],
    ['a Length below 20', Object.assign(Buffer.from(request()), {}).fill(0, 2, 3).fill(19, 3, 4)],
    [
      'a Length above 4096',
      (() => {
        const b = Buffer.from(request());
        b.writeUInt16BE(5000, 2);
        return b;
      })(),
    ],
    [
      'a Length past the datagram',
      (() => {
        const b = Buffer.from(request());
        b.writeUInt16BE(b.length + 1, 2);
        return b;
      })(),
    ],
    [
      'an attribute of length 0',
      (() => {
        const b = Buffer.from(request());
        b[21] = 0;
        return b;
      })(),
    ],
    [
      'an attribute of length 1',
      (() => {
        const b = Buffer.from(request());
        b[21] = 1;
        return b;
      })(),
    ],
    [
      'an attribute running past the packet',
      (() => {
        const b = Buffer.from(request());
        b[21] = 250;
        return b;
      })(),
    ],
  ])('discards a packet with %s', (_label, bytes) => {
    expect(typeof parsePacket(bytes)).toBe('string');
  });
});

describe('Message-Authenticator of a request (RFC 3579 §3.2)', () => {
  it('is valid as the radius package computes it, and invalid under another secret', () => {
    expect(messageAuthenticatorOf(parsed(request()), Buffer.from(SECRET))).toBe('valid');
    expect(messageAuthenticatorOf(parsed(request()), Buffer.from(`${SECRET}x`))).toBe('invalid');
  });

  it('is missing without the attribute, invalid when doubled or of the wrong length', () => {
    const bare = radius.encode({
      code: 'Access-Request',
      identifier: 1,
      secret: SECRET,
      attributes: [['User-Name', 'alice']],
      add_message_authenticator: false,
    });
    expect(messageAuthenticatorOf(parsed(bare), Buffer.from(SECRET))).toBe('missing');
    const bytes = request();
    const ma = bytes.subarray(bytes.length - 18);
    const doubled = Buffer.concat([bytes, ma]);
    doubled.writeUInt16BE(doubled.length, 2);
    expect(messageAuthenticatorOf(parsed(doubled), Buffer.from(SECRET))).toBe('invalid');
    const short = Buffer.concat([
      bytes.subarray(0, bytes.length - 18),
      Buffer.from([80, 10]),
      Buffer.alloc(8),
    ]);
    short.writeUInt16BE(short.length, 2);
    expect(messageAuthenticatorOf(parsed(short), Buffer.from(SECRET))).toBe('invalid');
  });

  it('rejects a forgery the radius package accepts (it compares the values as UTF-8 text)', () => {
    // Bytes of 0x80 and above that are no valid UTF-8 all read as U+FFFD: replacing each with
    // 0xFF gives another value of the same text whenever the real one has such bytes.
    let forged: Buffer | undefined;
    for (let i = 0; i < 5000 && !forged; i++) {
      const bytes = request(`user${i}`, i % 256);
      const ma = bytes.subarray(bytes.length - 16);
      const other = Buffer.from(ma.map((b) => (b >= 0x80 ? 0xff : b)));
      if (!other.equals(ma) && other.toString() === ma.toString()) {
        forged = Buffer.from(bytes);
        other.copy(forged, bytes.length - 16);
      }
    }
    expect(forged).toBeDefined();
    expect(() => radius.decode({ packet: forged!, secret: SECRET })).not.toThrow();
    expect(messageAuthenticatorOf(parsed(forged!), Buffer.from(SECRET))).toBe('invalid');
  });
});

describe('responses', () => {
  it('carry the Message-Authenticator as their first attribute, valid under the request authenticator', () => {
    const req = parsed(request());
    const response = dictionary.encode('Access-Accept', req, [{ name: 'Class', value: 'x' }], SECRET);
    expect(response[20]).toBe(80);
    expect(response[21]).toBe(18);
    // The package's own check of a response (it finds the attribute wherever it is).
    expect(
      radius.verify_response({
        request: Buffer.from(req.bytes),
        response: Buffer.from(response),
        secret: SECRET,
      }),
    ).toBe(true);
    const tampered = Buffer.from(response);
    tampered[tampered.length - 1]! ^= 1;
    expect(
      radius.verify_response({ request: Buffer.from(req.bytes), response: tampered, secret: SECRET }),
    ).toBe(false);
  });

  it('decode User-Password of more than one 16-octet block and in UTF-8 (RFC 2865 §5.2)', () => {
    const password = 'Pässwörd über sechzehn Oktette, 🔐';
    const bytes = radius.encode({
      code: 'Access-Request',
      identifier: 3,
      secret: SECRET,
      attributes: [
        ['User-Name', 'alice'],
        ['User-Password', password],
      ],
      add_message_authenticator: true,
    });
    expect(readRequestAttributes(parsed(bytes), Buffer.from(SECRET))['User-Password']).toBe(password);
  });

  it('refuses a User-Password that is not 16 to 128 octets in blocks of 16 (RFC 2865 §5.2)', () => {
    const bytes = request();
    const packet = parsed(bytes);
    const hidden = packet.attributes.find((a) => a.type === 2)!;
    const short = { ...packet, attributes: [{ type: 2, value: hidden.value.subarray(0, 15) }] };
    expect(() => readRequestAttributes(short, Buffer.from(SECRET))).toThrow(/User-Password of 15 octets/);
    expect(readRequestAttributes(packet, Buffer.from(SECRET))).toEqual({
      'User-Name': 'alice',
      'User-Password': 'a password',
    });
  });

  it('are coded as the radius package codes them, the Message-Authenticator first', () => {
    const req = parsed(request());
    const attributes = [
      { name: 'Reply-Message', value: 'Grüße' },
      { name: 'Session-Timeout', value: 600 },
      { name: 'State', value: Buffer.from('state-bytes') },
      { name: 'Class', value: 'OU=Staff;' },
    ];
    const ours = dictionary.encode('Access-Challenge', req, attributes, SECRET);
    const decoded = radius.decode({ packet: ours, secret: SECRET });
    expect(decoded.code).toBe('Access-Challenge');
    expect(decoded.attributes).toMatchObject({
      'Reply-Message': 'Grüße',
      'Session-Timeout': 600,
      State: Buffer.from('state-bytes'),
      Class: Buffer.from('OU=Staff;'),
    });
    // Coded again from the kept bytes: the same packet.
    expect(dictionary.encode('Access-Challenge', req, attributes, SECRET).equals(ours)).toBe(true);
  });
});
