import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadRadiusClients } from '../../src/doors/radius/clients.js';
import { Dictionary } from '../../src/doors/radius/dictionary.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const dictionary = new Dictionary(['/usr/share/freeradius/dictionary.fortinet']);
const SECRET = 'sixteen-chars-ok';

/** Loads a folder holding these client files (name → content). */
function load(files: Record<string, unknown>, env: NodeJS.ProcessEnv = { S: SECRET }) {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'passgate-radius-'));
  for (const [name, content] of Object.entries(files))
    writeFileSync(path.join(folder, name), typeof content === 'string' ? content : stringify(content));
  return loadRadiusClients(folder, dictionary, env);
}

const client = (extra: Record<string, unknown> = {}) => ({
  name: 'vpn',
  addresses: ['10.0.0.0/8'],
  secret: { env: 'S' },
  ...extra,
});

describe('RADIUS client files (metadata/radius/*.yaml)', () => {
  it('reads a client with its defaults: Message-Authenticator required, challenge mode', () => {
    const { clients, problems } = load({ 'vpn.yaml': client() });
    expect(problems).toEqual([]);
    expect(clients[0]).toMatchObject({
      name: 'vpn',
      secret: SECRET,
      requireMessageAuthenticator: true,
      mode: 'challenge',
      secondFactorOnly: false,
      separator: ',',
    });
  });

  it('reads the example client file of metadata/radius/', () => {
    const example = readFileSync(path.join(PACKAGE_ROOT, 'metadata/radius/vpn.yaml.example'), 'utf8');
    const { clients, problems } = load({ 'vpn.yaml': example }, { RADIUS_VPN_SECRET: SECRET });
    expect(problems).toEqual([]);
    expect(clients[0]).toMatchObject({ name: 'vpn', mode: 'challenge' });
  });

  it('refuses a shared secret shorter than 16 characters, naming where it came from', () => {
    const { clients, problems } = load({ 'vpn.yaml': client() }, { S: 'fifteen-chars!!' });
    expect(clients).toEqual([]);
    expect(problems[0]!.reason).toBe(
      'secret: the shared secret from environment variable S has 15 characters; at least 16 are required',
    );
  });

  it('reads the secret from a file (its final newline dropped), relative to the folder', () => {
    const { clients, problems } = load({
      'vpn.secret': `${SECRET}\n`,
      'vpn.yaml': client({ secret: { file: 'vpn.secret' } }),
    });
    expect(problems).toEqual([]);
    expect(clients[0]!.secret).toBe(SECRET);
  });

  it('names what is wrong and keeps the other clients', () => {
    const { clients, problems } = load({
      'a.yaml': client({ name: 'a', secret: { env: 'MISSING' } }),
      'b.yaml': client({ name: 'b', addresses: ['10.0.0.0/33'] }),
      'c.yaml': client({ name: 'c', replyAttributes: [{ name: 'No-Such-Attribute', value: 'x' }] }),
      'd.yaml': client({ name: 'd', replyAttributes: [{ vendor: 'Nobody', name: 'X', value: 'x' }] }),
      'e.yaml': client({ name: 'e', unknownKey: true }),
      'f.yaml': client({ name: 'f', addresses: ['192.0.2.1'] }),
      'g.yaml': client({ name: 'f', addresses: ['192.0.2.2'] }),
      'h.yaml': client({ name: 'h', secondFactorOnly: true, mode: 'inline' }),
    });
    expect(clients.map((c) => c.name)).toEqual(['f']);
    expect(problems.map((p) => [path.basename(p.file), p.reason])).toEqual([
      ['a.yaml', 'secret: environment variable MISSING is not set'],
      ['b.yaml', 'addresses.0: expected an IP address or CIDR range, e.g. 10.0.0.0/8'],
      ['c.yaml', 'replyAttributes.0: unknown attribute "No-Such-Attribute"'],
      ['d.yaml', 'replyAttributes.0: unknown vendor "Nobody" (add its dictionary to radius.dictionaries)'],
      ['e.yaml', expect.stringContaining('unknownKey')],
      ['g.yaml', 'name "f" is already registered by f.yaml'],
      ['h.yaml', 'secondFactorOnly: needs mode: challenge (the password field holds no code to take inline)'],
    ]);
  });

  it('finds a client by source address: the most specific range, IPv4-mapped IPv6 as IPv4', () => {
    const clients = load({
      'wide.yaml': client({ name: 'wide', addresses: ['10.0.0.0/8', '2001:db8::/32'] }),
      'narrow.yaml': client({ name: 'narrow', addresses: ['10.1.2.3'] }),
    });
    expect(clients.find('10.1.2.3')?.name).toBe('narrow');
    expect(clients.find('::ffff:10.1.2.3')?.name).toBe('narrow');
    expect(clients.find('10.9.9.9')?.name).toBe('wide');
    expect(clients.find('2001:db8::1')?.name).toBe('wide');
    expect(clients.find('192.0.2.1')).toBeUndefined();
    expect(clients.find('not an address')).toBeUndefined();
  });
});
