import { afterEach, describe, expect, it, vi } from 'vitest';
import type { User } from '../../src/store/repositories/users.js';
import { enrolOath } from '../../src/tokens/enrol.js';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { createTestEngine, type TestEngine } from '../support/core.js';
import { BACKENDS } from '../support/databases.js';
import { outcome } from '../support/outcome.js';

const CONTEXT = { address: '198.51.100.20', door: 'test', application: 'test-app' };

/** The passcode inside a message text. */
const codeIn = (text: string) => /\b(\d{6,10})\b/.exec(text)?.[1] ?? '';

describe.each(BACKENDS)('second-factor challenges (%s)', (backend) => {
  let engine: TestEngine;
  let alice: User;

  const setUp = async (config = {}) => {
    engine = await createTestEngine(backend, config);
    alice = await engine.core.users.create({
      username: 'alice',
      displayName: 'Alice Liddell',
      email: 'alice@example.test',
      mobile: '+33612345642',
    });
  };
  afterEach(() => engine?.close());

  it('offers SMS and voice from the directory mobile number and sends the SMS passcode at once', async () => {
    await setUp();
    const state = await engine.challenges.start({ user: alice, context: CONTEXT, language: 'en' });
    expect(state.offers.map((o) => o.type)).toEqual(['sms', 'voice']);
    expect(state.offers[0]!.label).toBe('+33 6 •• •• •• 42');
    expect(state.sent).toMatchObject({ channel: 'sms', destination: '+33 6 •• •• •• 42' });
    const [message] = engine.outbox();
    expect(message).toMatchObject({ channel: 'sms', to: '+33612345642' });
    expect(message!.text).toMatch(
      /^Your Passgate passcode is \d{8}\. It is valid for 5 minutes\. Never share it\.$/,
    );
    const result = await engine.challenges.verify(state.id, codeIn(message!.text));
    expect(result).toMatchObject({ method: 'sms', amr: ['sms'], user: { id: alice.id } });
    // The step is over: nothing more is accepted for it.
    expect(await outcome(engine.challenges.verify(state.id, codeIn(message!.text)))).toBe(
      'MFA_CHALLENGE_EXPIRED',
    );
  });

  it('writes the message in the user’s language', async () => {
    await setUp();
    await engine.challenges.start({ user: alice, context: CONTEXT, language: 'fr' });
    expect(engine.outbox()[0]!.text).toMatch(/^Votre code Passgate est \d{8}\. Il est valable 5 minutes\./);
  });

  it('accepts a passcode once, and not after it expired', async () => {
    await setUp();
    const first = await engine.challenges.start({ user: alice, context: CONTEXT, language: 'en' });
    const code = codeIn(engine.outbox()[0]!.text);
    expect(await outcome(engine.challenges.verify(first.id, '00000000'))).toBe('MFA_INVALID_CODE');
    engine.clock.advance(301_000);
    expect(await outcome(engine.challenges.verify(first.id, code))).toBe('MFA_INVALID_CODE');
  });

  it('switches to a voice call that reads the digits one by one, and the SMS passcode stops working', async () => {
    await setUp();
    const state = await engine.challenges.start({ user: alice, context: CONTEXT, language: 'en' });
    const smsCode = codeIn(engine.outbox()[0]!.text);
    const voice = state.offers.find((o) => o.type === 'voice')!;
    expect(await outcome(engine.challenges.send(state.id, voice.tokenId))).toBe('MFA_RESEND_TOO_SOON');
    engine.clock.advance(31_000);
    const again = await engine.challenges.send(state.id, voice.tokenId);
    expect(again.sent).toMatchObject({ channel: 'voice' });
    const call = engine.outbox()[1]!;
    const digits = call.spoken!.match(/is: (.*?)\. I repeat/)![1]!;
    const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
    const voiceCode = digits
      .split(', ')
      .map((w) => words.indexOf(w))
      .join('');
    expect(voiceCode).toMatch(/^\d{8}$/);
    expect(call.spoken).toBe(`Hello. Your Passgate passcode is: ${digits}. I repeat: ${digits}.`);
    expect(await outcome(engine.challenges.verify(state.id, smsCode))).toBe('MFA_INVALID_CODE');
    const result = await engine.challenges.verify(state.id, voiceCode);
    expect(result.amr).toEqual(['tel']);
  });

  it('uses the Passcode Policy: length, alphabet and the administrator’s own text', async () => {
    await setUp({
      policies: {
        passcode: {
          default: {
            length: 6,
            alphabet: 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789',
            templates: { en: { sms: 'Code {code}, {minutes} min' } },
          },
        },
      },
    });
    const { PolicyStore } = await import('../../src/policy/policy-store.js');
    await new PolicyStore(engine.core.policies).put(
      'passcode',
      'default',
      engine.core.config.policies.passcode.default,
    );
    const state = await engine.challenges.start({ user: alice, context: CONTEXT, language: 'en' });
    const text = engine.outbox()[0]!.text;
    const code = /^Code ([A-Z2-9]{6}), 5 min$/.exec(text)?.[1];
    expect(code).toBeDefined();
    // Typed in lower case with a space, it still counts.
    expect(
      await outcome(
        engine.challenges.verify(state.id, `${code!.slice(0, 3).toLowerCase()} ${code!.slice(3)}`),
      ),
    ).toBe('ok');
  });

  it('offers and sends on the channels of the Passcode Policy, in its order', async () => {
    await setUp();
    const { PolicyStore } = await import('../../src/policy/policy-store.js');
    await new PolicyStore(engine.core.policies).put('passcode', 'default', { channels: ['voice'] });
    const state = await engine.challenges.start({ user: alice, context: CONTEXT, language: 'en' });
    expect(state.offers.map((o) => o.type)).toEqual(['voice']);
    expect(state.sent?.channel).toBe('voice');
  });

  it('offers the channels of the Passcode Policy a rule names for the login, in its order', async () => {
    await setUp();
    const { PolicyStore } = await import('../../src/policy/policy-store.js');
    await new PolicyStore(engine.core.policies).put('passcode', 'voice-first', {
      channels: ['voice', 'sms'],
    });
    const state = await engine.challenges.start({
      user: alice,
      context: CONTEXT,
      overrides: { passcodePolicy: 'voice-first' },
      language: 'en',
    });
    expect(state.offers.map((o) => o.type)).toEqual(['voice', 'sms']);
    expect(state.sent?.channel).toBe('voice');
  });

  it('puts an authenticator app first and sends nothing until the user asks', async () => {
    await setUp();
    const secret = Buffer.from('12345678901234567890');
    await enrolOath(
      engine.core.tokens,
      { userId: alice.id, label: 'alice', type: 'totp', secret },
      'Passgate',
    );
    const state = await engine.challenges.start({ user: alice, context: CONTEXT, language: 'en' });
    expect(state.offers.map((o) => o.type)).toEqual(['totp', 'sms', 'voice']);
    expect(state.sent).toBeUndefined();
    expect(engine.outbox()).toHaveLength(0);
    const code = totpCode(secret, timeStep(engine.clock(), 30), 30, { algorithm: 'SHA1', digits: 6 });
    expect((await engine.challenges.verify(state.id, code)).method).toBe('totp');
  });

  it('creates the directory channels’ tokens when a sign-in first reads the tokens, so its challenge neither creates nor reads them again', async () => {
    await setUp();
    const tokens = await engine.challenges.tokensOf(alice);
    expect(tokens.map((t) => [t.id, t.type]).sort()).toEqual([
      [`SMS-${alice.id}`, 'sms'],
      [`VOICE-${alice.id}`, 'voice'],
    ]);
    const create = vi.spyOn(engine.core.tokens, 'create');
    const list = vi.spyOn(engine.core.tokens, 'listByUser');
    // Read again: all there, nothing created.
    expect(await engine.challenges.tokensOf(alice)).toHaveLength(2);
    expect(list).toHaveBeenCalledTimes(1);
    list.mockClear();
    const state = await engine.challenges.start({ user: alice, context: CONTEXT, language: 'en', tokens });
    expect(state.offers.map((o) => o.tokenId)).toEqual([`SMS-${alice.id}`, `VOICE-${alice.id}`]);
    expect(create).not.toHaveBeenCalled();
    expect(list).not.toHaveBeenCalled();
  });

  it('previews the directory channels’ offers of a user without their tokens and writes nothing', async () => {
    await setUp();
    const offers = await engine.challenges.offersFor(alice, undefined, { preview: true });
    expect(offers.map((o) => [o.tokenId, o.type])).toEqual([
      [`SMS-${alice.id}`, 'sms'],
      [`VOICE-${alice.id}`, 'voice'],
    ]);
    expect(await engine.core.tokens.listByUser(alice.id)).toEqual([]);
  });

  it('offers only the methods the policy allows, in its order', async () => {
    await setUp();
    const state = await engine.challenges.start({
      user: alice,
      context: CONTEXT,
      language: 'en',
      methods: ['voice'],
    });
    expect(state.offers.map((o) => o.type)).toEqual(['voice']);
    expect(engine.outbox()[0]!.channel).toBe('voice');
  });

  it('has nothing to offer a user without a token, mobile number or usable gateway', async () => {
    await setUp();
    const bob = await engine.core.users.create({ username: 'bob', email: 'bob@example.test' });
    expect(await outcome(engine.challenges.start({ user: bob, context: CONTEXT, language: 'en' }))).toBe(
      'MFA_NO_FACTOR',
    );
    await engine.close();
    await setUp({
      mode: 'production',
      secrets: { masterKey: Buffer.alloc(32, 7).toString('base64') },
      dispatch: { gateways: [] },
    });
    expect(await outcome(engine.challenges.start({ user: alice, context: CONTEXT, language: 'en' }))).toBe(
      'MFA_NO_FACTOR',
    );
  });

  it('sends through the load-balancing policy a login overrides, as the delivery record shows', async () => {
    await setUp({
      dispatch: {
        gateways: [
          { type: 'outbox', name: 'europe' },
          { type: 'outbox', name: 'americas' },
        ],
      },
    });
    const { PolicyStore } = await import('../../src/policy/policy-store.js');
    // The first policy for a channel is its default; a login's rule may name another one.
    await new PolicyStore(engine.core.policies).importSet({
      'load-balancing': {
        europe: { channels: ['sms', 'voice'], members: [{ gateway: 'europe' }] },
        americas: { channels: ['sms', 'voice'], members: [{ gateway: 'americas' }] },
      },
    });
    await engine.challenges.start({ user: alice, context: CONTEXT, language: 'en' });
    engine.clock.advance(31_000);
    await engine.challenges.start({
      user: alice,
      context: CONTEXT,
      language: 'en',
      overrides: { loadBalancingPolicy: 'americas' },
    });
    const attempts = await engine.core.database.db
      .selectFrom('delivery_attempts')
      .select(['gateway', 'outcome', 'destination'])
      .orderBy('created_at')
      .execute();
    expect(attempts.map((a) => a.gateway)).toEqual(['europe', 'americas']);
    expect(attempts.every((a) => a.outcome === 'sent' && a.destination === '+33 6 •• •• •• 42')).toBe(true);
  });

  it('sends a new challenge its passcode at once, and counts resends and channels towards mfa.passcodeLimit', async () => {
    await setUp({ mfa: { passcodeLimit: { maxPerUser: 3, windowSeconds: 600 } } });
    const first = await engine.challenges.start({ user: alice, context: CONTEXT, language: 'en' });
    // A second sign-in a second later is not held back by the first one's cool-down.
    engine.clock.advance(1_000);
    const second = await engine.challenges.start({ user: alice, context: CONTEXT, language: 'en' });
    expect(second.sent?.channel).toBe('sms');
    expect(second.sendError).toBeUndefined();
    expect(engine.outbox()).toHaveLength(2);
    // Its resend waits for the cool-down; then a voice call is the third passcode in the window.
    const voice = second.offers.find((o) => o.type === 'voice')!;
    expect(await outcome(engine.challenges.send(second.id, voice.tokenId))).toBe('MFA_RESEND_TOO_SOON');
    engine.clock.advance(31_000);
    await engine.challenges.send(second.id, voice.tokenId);
    engine.clock.advance(31_000);
    expect(await outcome(engine.challenges.send(first.id, voice.tokenId))).toBe('MFA_PASSCODE_LIMIT');
    const third = await engine.challenges.start({ user: alice, context: CONTEXT, language: 'en' });
    expect(third.sent).toBeUndefined();
    expect(third.sendError).toBe('MFA_PASSCODE_LIMIT');
    expect(third.offers.map((o) => o.type)).toEqual(['sms', 'voice']);
    expect(engine.outbox()).toHaveLength(3);
    // The first passcode leaves the window 600 s after it was sent: then one more may go.
    engine.clock.advance(600_000 - 63_000 - 1);
    expect(await outcome(engine.challenges.send(third.id, voice.tokenId))).toBe('MFA_PASSCODE_LIMIT');
    engine.clock.advance(1);
    expect((await engine.challenges.send(third.id, voice.tokenId)).sent?.channel).toBe('voice');
    expect(engine.outbox()).toHaveLength(4);
  });

  it('records every send in the audit log without the passcode', async () => {
    await setUp();
    await engine.challenges.start({ user: alice, context: CONTEXT, language: 'en' });
    const code = codeIn(engine.outbox()[0]!.text);
    const [event] = await engine.core.audit.recent({ type: 'passcode.send' });
    expect(event).toMatchObject({ outcome: 'success', userId: alice.id, address: CONTEXT.address });
    expect(event!.details).toMatchObject({
      channel: 'sms',
      destination: '+33 6 •• •• •• 42',
      gateway: 'outbox',
    });
    expect(JSON.stringify(event)).not.toContain(code);
    const stored = await engine.core.database.db.selectFrom('passcodes').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(code);
  });
});
