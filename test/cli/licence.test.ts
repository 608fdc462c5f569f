import { beforeAll, describe, expect, it } from 'vitest';
import { licenceFile, signedLicenceFile, vendorKeys } from '../licences/vendor.js';
import { runCli, runStart, writeConfig } from '../support/cli.js';

const PASSWORD = 'correct horse battery staple';
const vendor = vendorKeys();

describe('passgate licence', () => {
  const licensed = (file: string) => ({
    licences: { file, publicKey: vendor.publicPem, customer: 'Example Ltd' },
  });
  const { file: config } = writeConfig(
    licensed(signedLicenceFile(vendor.privatePem, { pools: { mfa: 2, reset: 1 }, expires: '2099-12-31' })),
  );
  const cli = (args: string[]) => runCli([...args, '--config', config]);

  beforeAll(async () => {
    for (const name of ['ann', 'bob', 'cat'])
      expect((await runCli(['user', 'add', name, '--config', config], { input: `${PASSWORD}\n` })).code).toBe(
        0,
      );
  });

  it('shows the licence and the seats used of each pool, in text and JSON', async () => {
    const run = await cli(['licence', 'show']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(
      [
        'Licence of Example Ltd, valid until 2099-12-31.',
        'POOL   USED  CAPACITY  USE',
        'mfa    0     2         0 %',
        'reset  0     1         0 %',
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await cli(['licence', 'show', '--json'])).stdout);
    expect(json).toEqual({
      licence: { status: 'valid', customer: 'Example Ltd', expires: '2099-12-31', blocksFrom: null },
      pools: { mfa: { used: 0, capacity: 2 }, reset: { used: 0, capacity: 1 } },
    });
  });

  it('allocates by hand, refuses all three when two seats are left, and releases', async () => {
    expect(await cli(['licence', 'allocate', 'mfa', 'ann'])).toMatchObject({
      code: 0,
      stdout: 'Allocated 1 mfa seat(s); 0 already held. 1 of 2 used.\n',
    });
    expect(await cli(['licence', 'allocate', 'mfa', 'ann', 'bob', 'cat'])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'passgate: mfa pool: 1 seat(s) missing (capacity 2, 1 used): nothing was allocated\n',
    });
    expect(await cli(['licence', 'allocate', 'mfa', 'bob', 'nobody'])).toMatchObject({
      code: 1,
      stderr: 'passgate: no user "nobody": nothing was changed\n',
    });
    expect(await cli(['licence', 'allocate', 'admin', 'bob'])).toMatchObject({
      code: 1,
      stderr: 'passgate: unknown seat pool "admin": expected mfa or reset\n',
    });
    expect(await cli(['licence', 'release', 'mfa', 'ann', 'bob'])).toMatchObject({
      code: 0,
      stdout: 'Released 1 mfa seat(s). 0 of 2 used.\n',
    });
  });

  it('shows unlimited pools without a licence file', async () => {
    const { file } = writeConfig({});
    const run = await runCli(['licence', 'show', '--config', file]);
    expect(run.stdout).toBe(
      [
        'No licence file: both seat pools are unlimited.',
        'POOL   USED  CAPACITY   USE',
        'mfa    0     unlimited',
        'reset  0     unlimited',
        '',
      ].join('\n'),
    );
  });

  it('stops the CLI and the server with one configuration line when the licence does not verify', async () => {
    const forged = licenceFile('{"format":"passgate-licence-1","payload":"e30","signature":"AAAA"}');
    const { file, folder } = writeConfig(licensed(forged));
    const line = `passgate: configuration error: licences.file ${forged}: the signature does not verify against licences.publicKey (altered, or from another vendor key)\n`;
    expect(await runCli(['licence', 'show', '--config', file])).toMatchObject({
      code: 2,
      stdout: '',
      stderr: line,
    });
    const start = await runStart(['--config', file], { cwd: folder });
    expect(start.started).toBe(false);
    expect(start.code).toBe(2);
    expect(start.stderr).toContain(line);
  });

  it('names the missing public key and customer when only a file is configured', async () => {
    const { file } = writeConfig({ licences: { file: '/tmp/licence.json' } });
    const run = await runCli(['licence', 'show', '--config', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('licences.publicKey');
    expect(run.stderr).toContain('licences.customer');
  });
});
