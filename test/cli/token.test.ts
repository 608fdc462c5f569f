import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, writeConfig } from '../support/cli.js';

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const oathtool = (...args: string[]) => execFileSync('oathtool', args, { encoding: 'utf8' }).trim();

describe('passgate token', () => {
  const { file, folder } = writeConfig({ passwords: { scryptCost: 10 } });
  const cli = (args: string[], input?: string) =>
    runCli([...args, '--config', file], input === undefined ? {} : { input });

  beforeAll(async () => {
    expect((await cli(['user', 'add', 'alice'], 'a long enough password\n')).code).toBe(0);
  });

  it('enrols a TOTP token with a given secret and shows no secret back', async () => {
    const run = await cli([
      'token',
      'add',
      'alice',
      '--type',
      'totp',
      '--secret',
      SECRET,
      '--digits',
      '8',
      '--period',
      '60',
      '--algorithm',
      'sha256',
    ]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^Enrolled TOTP token TOTP[0-9A-F]{8} for alice\.\n$/);
  });

  it('generates a secret when none is given and shows it once, with an otpauth URI', async () => {
    const run = await cli(['token', 'add', 'alice', '--type', 'hotp', '--description', 'Key ring']);
    const secret = /Secret \(shown once\): ([A-Z2-7]+)/.exec(run.stdout)?.[1];
    expect(secret).toHaveLength(32);
    expect(run.stdout).toMatch(
      new RegExp(
        `otpauth://hotp/Passgate:alice\\?secret=${secret}&issuer=Passgate&algorithm=SHA1&digits=6&counter=0`,
      ),
    );
    const list = await cli(['token', 'list', 'alice', '--json']);
    expect(list.stdout).not.toContain(secret);
  });

  it('reads a secret from standard input with --secret -', async () => {
    const run = await cli(
      ['token', 'add', 'alice', '--type', 'hotp', '--secret', '-', '--serial', 'HW-0042', '--hardware'],
      `${SECRET}\n`,
    );
    expect(run.stdout).toMatch(/^Enrolled HOTP token HOTP[0-9A-F]{8} for alice\.\n$/);
  });

  it('refuses bad settings with one clear line', async () => {
    const short = await cli(['token', 'add', 'alice', '--type', 'totp', '--secret', 'GEZDGNBV']);
    expect(short).toMatchObject({
      code: 1,
      stderr: 'passgate: the secret has 5 bytes; OATH needs 16 to 64 (RFC 4226)\n',
    });
    const digits = await cli([
      'token',
      'add',
      'alice',
      '--type',
      'totp',
      '--secret',
      SECRET,
      '--digits',
      '9',
    ]);
    expect(digits).toMatchObject({ code: 1, stderr: 'passgate: digits must be 6, 7 or 8\n' });
    const type = await cli(['token', 'add', 'alice', '--type', 'sms']);
    expect(type).toMatchObject({ code: 1, stderr: 'passgate: --type must be totp, hotp or backup\n' });
    const serial = await cli([
      'token',
      'add',
      'alice',
      '--type',
      'hotp',
      '--secret',
      SECRET,
      '--serial',
      'HW-0042',
    ]);
    expect(serial.stderr).toBe('passgate: a token with this id or serial already exists\n');
  });

  it('lists tokens under a header row with their settings, serial, description and state', async () => {
    const list = await cli(['token', 'list']);
    const lines = list.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^ID +USER +TYPE +SETTINGS +SERIAL +DESCRIPTION +STATE$/);
    const column = (name: string) => lines[0]!.indexOf(name);
    expect(lines[1]).toMatch(/^TOTP[0-9A-F]{8}\s+alice\s+totp\s+SHA256\/8\/60s\s+active$/);
    expect(lines[2]).toMatch(/^HOTP[0-9A-F]{8}\s+alice\s+hotp\s+SHA1\/6 counter 0\s+Key ring\s+active$/);
    expect(lines[2]!.indexOf('Key ring')).toBe(column('DESCRIPTION'));
    expect(lines[3]).toMatch(/^HOTP[0-9A-F]{8}\s+alice\s+hotp\s+SHA1\/6 counter 0\s+HW-0042\s+active$/);
    expect(lines[3]!.indexOf('HW-0042')).toBe(column('SERIAL'));
    expect(lines[3]!.indexOf('active')).toBe(column('STATE'));
    const json = JSON.parse((await cli(['token', 'list', '--json'])).stdout) as Array<
      Record<string, unknown>
    >;
    expect(json.map((t) => t.description)).toEqual([null, 'Key ring', null]);
  });

  it('resynchronises an HOTP token from two consecutive codes', async () => {
    const id = /^(HOTP[0-9A-F]{8}).*HW-0042/m.exec((await cli(['token', 'list'])).stdout)![1]!;
    const codes = oathtool('-c', '200', '-w', '1', '--base32', SECRET).split('\n');
    const run = await cli(['token', 'resync', id, codes[0]!, codes[1]!]);
    expect(run).toMatchObject({ code: 0, stdout: `Token ${id} resynchronised: next counter 202.\n` });
    const wrong = await cli(['token', 'resync', id, codes[0]!, codes[0]!]);
    expect(wrong.stderr).toBe("passgate: no two consecutive codes within 1000 of the token's position\n");
  });

  it('issues backup codes once', async () => {
    const run = await cli(['token', 'add', 'alice', '--type', 'backup', '--count', '5']);
    const codes = run.stdout.match(/^ {2}\d{5}-\d{5}$/gm);
    expect(codes).toHaveLength(5);
    expect((await cli(['token', 'list', 'alice'])).stdout).not.toContain(codes![0]!.trim());
  });

  it('disables, enables, unlocks and removes a token', async () => {
    const id = /^(TOTP[0-9A-F]{8})/m.exec((await cli(['token', 'list'])).stdout)![1]!;
    expect((await cli(['token', 'disable', id])).stdout).toBe(`Token ${id}: disabled.\n`);
    expect((await cli(['token', 'list'])).stdout).toMatch(new RegExp(`${id}.*disabled`));
    expect((await cli(['token', 'enable', id])).stdout).toBe(`Token ${id}: enabled.\n`);
    expect((await cli(['token', 'unlock', id])).stdout).toBe(`Token ${id}: unlocked.\n`);
    expect((await cli(['token', 'remove', id])).stdout).toBe(`Token ${id}: removed.\n`);
    expect((await cli(['token', 'remove', id])).stderr).toBe(`passgate: no token "${id}"\n`);
  });

  it('manages policies: set, show with defaults, export and import all or nothing', async () => {
    const policyFile = path.join(folder, 'ms.yaml');
    writeFileSync(policyFile, 'displayName: Microsoft Authenticator\ntype: totp\nselfEnrol: true\n');
    expect((await cli(['policy', 'set', 'token', 'microsoft', '--file', policyFile])).stdout).toBe(
      'Policy token microsoft saved.\n',
    );
    expect((await cli(['policy', 'set', 'passcode', 'default'], 'length: 7\n')).code).toBe(0);
    const show = await cli(['policy', 'show', 'token', 'microsoft']);
    expect(show.stdout).toContain('algorithm: SHA1\ndigits: 6\nperiod: 30\nselfEnrol: true\n');
    const weak = await cli(['policy', 'set', 'passcode', 'weak'], 'length: 5\n');
    expect(weak.stderr).toBe(
      'passgate: passcode.weak.length: a passcode must carry at least 20 bits of entropy: make it longer or the alphabet larger\n',
    );
    const exported = await cli(['policy', 'export']);
    expect(exported.stdout).toMatch(/^token:\n {2}microsoft:\n {4}displayName: Microsoft Authenticator/);
    const broken = path.join(folder, 'broken.yaml');
    writeFileSync(
      broken,
      `${exported.stdout}\nload-balancing:\n  sms:\n    channels: [fax]\n    members: []\n`,
    );
    const refused = await cli(['policy', 'import', broken]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^passgate: load-balancing\.sms\.channels\.0: /);
    expect((await cli(['policy', 'list'])).stdout).toBe(
      'token           microsoft  (Microsoft Authenticator)\npasscode        default\n',
    );
    // New policies go last; replacing one keeps its place; the YAML spelling of the kind works too.
    const lb = (name: string) =>
      cli(['policy', 'set', 'loadBalancing', name], `channels: [sms]\nmembers: [{ gateway: outbox }]\n`);
    for (const name of ['zulu', 'alpha', 'zulu']) expect((await lb(name)).code).toBe(0);
    expect((await cli(['policy', 'list', 'load-balancing'])).stdout).toBe(
      'load-balancing  zulu\nload-balancing  alpha\n',
    );
  });
});
