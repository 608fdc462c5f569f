import { randomInt, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { main } from '../../src/cli/main.js';
import { TOKEN_TYPES } from '../../src/tokens/registry.js';
import { newTokenId } from '../../src/tokens/secrets.js';
import type { TokenTypePlugin } from '../../src/tokens/token-type.js';
import { writeConfig } from '../support/cli.js';
import { createTestEngine, type TestEngine } from '../support/core.js';
import { BACKENDS } from '../support/databases.js';

/**
 * A made-up token type, written here the way a real one is written in src/tokens/: a static PIN
 * of a length a Token Policy may set, enrolled by administrators, shown once. Nothing else in
 * Passgate is told about it: the tests below build the CLI, the Token Policy validation and the
 * engine over the registry's list plus this one line.
 */
const pinType: TokenTypePlugin = {
  info: {
    type: 'pin',
    title: 'Static PIN (test)',
    amr: ['pin'],
    source: 'device',
    parameters: [{ name: 'length', description: 'Digits in the PIN', default: 6 }],
  },
  describe: { noun: 'PIN', settings: (token) => `${token.digits} digits` },
  policySettings: z.strictObject({
    length: z.number().int().min(4).max(12).default(6).describe('Digits in the PIN.'),
  }),
  enrolledBy: 'administrator',
  create: ({ tokens }) => ({
    async enrol(request) {
      const length = Number(request.settings.length ?? 6);
      const pin = Array.from({ length }, () => randomInt(10)).join('');
      const token = await tokens.create({
        id: request.id ?? newTokenId('pin'),
        userId: request.userId,
        type: 'pin',
        secret: Buffer.from(pin),
        digits: length,
        description: request.description ?? null,
      });
      return { token, secretBase32: pin };
    },
    async verify(token, response) {
      const pin = await tokens.secretOf(token.id);
      const given = Buffer.from(response);
      return given.length === pin.length && timingSafeEqual(given, pin);
    },
  }),
};

/** The registry's types and the made-up one: what "one more line in registry.ts" gives. */
const WITH_PIN = [...TOKEN_TYPES, pinType];

/** Runs `passgate <args>` in this process over a list of token types; returns what it wrote. */
async function passgate(args: string[], tokenTypes: readonly TokenTypePlugin[], input = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => {
    out += chunk;
  });
  stderr.on('data', (chunk) => {
    err += chunk;
  });
  const code = await main(
    ['node', 'passgate', ...args],
    { stdin: Readable.from([input]), stdout, stderr },
    tokenTypes,
  );
  return { code, stdout: out, stderr: err };
}

describe('a token type added to the registry', () => {
  it('is enrolled, listed and profiled by the CLI, and refused without it', async () => {
    const { file, folder } = writeConfig({ passwords: { scryptCost: 10 } });
    const cli = (args: string[], types: readonly TokenTypePlugin[] = WITH_PIN, input?: string) =>
      passgate([...args, '--config', file], types, input);
    expect((await cli(['user', 'add', 'alice'], WITH_PIN, 'a long enough password\n')).code).toBe(0);

    // The option of its parameter, and its name among the types, come from the registry.
    const help = await cli(['token', 'add', '--help']);
    expect(help.stdout).toContain('--type <type>');
    expect(help.stdout).toMatch(/totp, hotp, backup or pin/);
    expect(help.stdout).toMatch(/--length <value>\s+pin: Digits in the PIN \(default: "6"\)/);
    expect((await cli(['token', 'add', '--help'], TOKEN_TYPES)).stdout).not.toContain('--length');

    const added = await cli([
      'token',
      'add',
      'alice',
      '--type',
      'pin',
      '--length',
      '8',
      '--description',
      'Desk',
    ]);
    expect(added.stderr).toBe('');
    const [, id, pin] = /^Enrolled PIN (PIN[0-9A-F]{8}) for alice\.\nSecret \(shown once\): (\d{8})\n$/.exec(
      added.stdout,
    )!;
    expect(pin).toHaveLength(8);
    const list = await cli(['token', 'list', 'alice']);
    expect(list.stdout.split('\n')[1]).toMatch(
      new RegExp(`^${id}\\s+alice\\s+pin\\s+8 digits\\s+Desk\\s+active$`),
    );
    expect(list.stdout).not.toContain(pin);

    // The same CLI over the registry as it is does not know the type.
    const refused = await cli(['token', 'add', 'alice', '--type', 'pin'], TOKEN_TYPES);
    expect(refused).toMatchObject({ code: 1, stderr: 'passgate: --type must be totp, hotp or backup\n' });
    const unknown = await cli(['token', 'add', 'alice', '--type', 'sms']);
    expect(unknown.stderr).toBe('passgate: --type must be totp, hotp, backup or pin\n');

    // A Token Policy may name it, with its settings and their defaults; validation is its schema's.
    const policyFile = path.join(folder, 'pin.yaml');
    writeFileSync(policyFile, 'displayName: Office PIN\ntype: pin\nlength: 8\n');
    const set = await cli(['policy', 'set', 'token', 'office', '--file', policyFile]);
    expect(set).toMatchObject({ code: 0, stdout: 'Policy token office saved.\n' });
    const show = await cli(['policy', 'show', 'token', 'office']);
    expect(show.stdout).toBe(
      'displayName: Office PIN\ntype: pin\nlength: 8\nselfEnrol: false\nhardware: false\n',
    );
    writeFileSync(policyFile, 'displayName: Office PIN\ntype: pin\nlength: 3\n');
    expect((await cli(['policy', 'set', 'token', 'short', '--file', policyFile])).stderr).toBe(
      'passgate: token.short.length: Too small: expected number to be >=4\n',
    );
    writeFileSync(policyFile, 'displayName: Office PIN\ntype: pin\nperiod: 30\n');
    expect((await cli(['policy', 'set', 'token', 'mixed', '--file', policyFile])).stderr).toMatch(
      /^passgate: token\.mixed: Unrecognized key: "period"/,
    );
    writeFileSync(policyFile, 'displayName: Office PIN\ntype: pin\n');
    expect((await cli(['policy', 'set', 'token', 'other', '--file', policyFile], TOKEN_TYPES)).stderr).toBe(
      'passgate: token.other.type: Invalid option: expected one of "totp"|"hotp"\n',
    );
  });

  describe.each(BACKENDS)('in the engine (%s)', (backend) => {
    let engine: TestEngine;
    afterEach(() => engine?.close());

    it('is offered in the registry’s order and verified, with its amr', async () => {
      engine = await createTestEngine(backend, {}, undefined, WITH_PIN);
      const { core, challenges } = engine;
      const bob = await engine.addUser('bob');
      const card = await core.tokenTypes.get('pin')!.enrol!({
        userId: bob.id,
        label: 'bob',
        issuer: 'Passgate',
        settings: { length: 6 },
        description: 'Card',
      });
      await core.tokenTypes.get('backup')!.enrol!({
        userId: bob.id,
        label: 'bob',
        issuer: 'Passgate',
        settings: {},
      });

      const offers = await challenges.offersFor(bob);
      expect(offers.map((o) => [o.type, o.source, o.label])).toEqual([
        ['backup', 'list', ''],
        ['pin', 'device', 'Card'],
      ]);
      const context = { address: '192.0.2.7', door: 'test' };
      const state = await challenges.start({ user: bob, context, methods: ['pin'], language: 'en' });
      expect(state.offers.map((o) => o.tokenId)).toEqual([card.token.id]);
      expect(await challenges.verify(state.id, card.secretBase32!)).toMatchObject({
        method: 'pin',
        amr: ['pin'],
        user: { id: bob.id },
      });
      const [event] = await core.audit.recent({ type: 'login.second-factor' });
      expect(event).toMatchObject({ outcome: 'success', details: { method: 'pin', token: card.token.id } });
    });
  });
});
