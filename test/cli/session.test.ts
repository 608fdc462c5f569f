import { describe, expect, it } from 'vitest';
import { runCli, writeConfig } from '../support/cli.js';

describe('passgate session', () => {
  const { file } = writeConfig({});
  const cli = (args: string[]) => runCli([...args, '--config', file]);

  it('lists no sessions on a new store, in text and JSON', async () => {
    expect(await cli(['session', 'list'])).toMatchObject({ code: 0, stdout: 'No live sessions.\n' });
    expect(await cli(['session', 'list', '--json'])).toMatchObject({ code: 0, stdout: '[]\n' });
  });

  it('refuses a revoke without a target, with both, or of an unknown session or user, in one line', async () => {
    for (const args of [
      ['session', 'revoke'],
      ['session', 'revoke', 'abc', '--user', 'ann'],
    ]) {
      expect(await cli(args)).toMatchObject({
        code: 1,
        stdout: '',
        stderr: 'passgate: name a session id or --user <username>, not both\n',
      });
    }
    expect(await cli(['session', 'revoke', 'nope'])).toMatchObject({
      code: 1,
      stderr: 'passgate: no session "nope"\n',
    });
    expect(await cli(['session', 'revoke', '--user', 'nobody'])).toMatchObject({
      code: 1,
      stderr: 'passgate: no user "nobody"\n',
    });
    expect(await cli(['session', 'list', 'nobody'])).toMatchObject({
      code: 1,
      stderr: 'passgate: no user "nobody"\n',
    });
  });
});
