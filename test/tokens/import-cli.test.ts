import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, writeConfig } from '../support/cli.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const PASSWORD = 'a long enough password';

describe('passgate token import', () => {
  const { file, folder } = writeConfig({ passwords: { scryptCost: 10 } });
  const cli = (args: string[], input?: string) =>
    runCli([...args, '--config', file], input === undefined ? {} : { input });
  const tokens = async () =>
    JSON.parse((await cli(['token', 'list', '--json'])).stdout) as Array<Record<string, unknown>>;

  beforeAll(async () => {
    for (const user of ['alice', 'bob'])
      expect((await cli(['user', 'add', user], `${PASSWORD}\n`)).code).toBe(0);
  });

  it('documents its options', async () => {
    const help = await runCli(['token', 'import', '--help']);
    expect(help.code).toBe(0);
    for (const option of [
      '--format',
      '--psk-file',
      '--user',
      '--user-column',
      '--secret-encoding',
      '--dry-run',
    ]) {
      expect(help.stdout).toContain(option);
    }
  });

  it('imports an encrypted PSKC file with the key from --psk-file, and shows no secret', async () => {
    const pskFile = path.join(folder, 'transport.key');
    writeFileSync(pskFile, '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n', {
      mode: 0o600,
    });
    const run = await cli(['token', 'import', fixture('pskc/aes256-hmac-sha256.xml'), '--psk-file', pskFile]);
    expect(run).toMatchObject({
      code: 0,
      stderr: '',
      stdout: 'Imported 3 tokens (2 HOTP, 1 TOTP) for 2 users.\n',
    });
    const listed = await tokens();
    expect(listed.map((t) => [t.username, t.serial, t.type, t.hardware, t.status]).sort()).toEqual([
      ['alice', 'EXT00001', 'totp', true, 'active'],
      ['alice', 'EXT00002', 'hotp', true, 'active'],
      ['bob', 'EXT00003', 'hotp', true, 'active'],
    ]);
    expect(JSON.stringify(listed)).not.toMatch(/3132333435363738393031323334353637383930|secret/i);
  });

  it('reads the pre-shared key from standard input, never from argv', async () => {
    const run = await cli(
      ['token', 'import', fixture('pskc/rfc6030-figure6.xml'), '--user', 'bob'],
      '12345678901234567890123456789012\n',
    );
    expect(run).toMatchObject({ code: 0, stdout: 'Imported 1 token (1 HOTP) for 1 user.\n' });
    const unknown = await cli(['token', 'import', fixture('pskc/rfc6030-figure6.xml'), '--psk', 'x']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown option '--psk'/);
  });

  it('imports nothing from a CSV file with a bad row, and names the line', async () => {
    const before = (await tokens()).length;
    const run = await cli(['token', 'import', fixture('csv/bad-row.csv')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      [
        'passgate: nothing was imported; 2 problems:',
        '  line 4: the secret has 4 bytes; OATH needs 16 to 64 (RFC 4226)',
        '  line 4: digits must be 6, 7 or 8',
        '',
      ].join('\n'),
    );
    expect((await tokens()).length).toBe(before);
  });

  it('refuses a PSKC file with a DOCTYPE in one line', async () => {
    const xxe = path.join(folder, 'xxe.xml');
    writeFileSync(
      xxe,
      '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<KeyContainer>&e;</KeyContainer>\n',
    );
    const run = await cli(['token', 'import', xxe, '--user', 'alice']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^passgate: the file contains a DOCTYPE or ENTITY declaration; [^\n]*\n$/);
  });
});
