import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANNEL_NAMES } from '../../src/config/channels.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { authenticationRuleSchema } from '../../src/policy/authentication/rule.js';
import { tokenPolicySchema } from '../../src/policy/token-policy.js';
import { createTokenTypes, TOKEN_TYPES } from '../../src/tokens/registry.js';
import type { TokenTypeDeps, TokenTypePlugin } from '../../src/tokens/token-type.js';
import { totpType } from '../../src/tokens/totp.js';

const LOCALES = path.join(PACKAGE_ROOT, 'locales');

/** A translation file of a language, as nested objects. */
const translations = (language: string, namespace: string) =>
  JSON.parse(readFileSync(path.join(LOCALES, language, `${namespace}.json`), 'utf8')) as Record<
    string,
    Record<string, Record<string, string>>
  >;

describe('the token-type registry', () => {
  it('has the words of every type in every language, by its type name', () => {
    const missing: string[] = [];
    for (const language of readdirSync(LOCALES)) {
      const selfservice = translations(language, 'selfservice');
      const login = translations(language, 'login');
      for (const { info } of TOKEN_TYPES) {
        const keys: Array<[string, unknown]> = [
          [`selfservice:types.${info.type}`, selfservice.types?.[info.type]],
          ...(info.source === 'sent'
            ? (['send', 'sent'] as const).map((k): [string, unknown] => [
                `login:mfa.${k}.${info.type}`,
                login.mfa?.[k]?.[info.type],
              ])
            : (['use', 'choose'] as const).map((k): [string, unknown] => [
                `login:mfa.${k}.${info.type}`,
                login.mfa?.[k]?.[info.type],
              ])),
        ];
        for (const [key, text] of keys) if (typeof text !== 'string') missing.push(`${language} ${key}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('is where the method lists, the Token Policy types and the channels’ types come from', () => {
    const methods = authenticationRuleSchema.safeParse({ outcome: { action: 'mfa', methods: ['fax'] } });
    expect(methods.error?.issues[0]?.message).toBe(
      'Invalid option: expected one of "totp"|"hotp"|"sms"|"voice"|"email"|"backup"',
    );
    const policy = tokenPolicySchema.safeParse({ displayName: 'Codes', type: 'backup' });
    expect(policy.error?.issues[0]).toMatchObject({
      path: ['type'],
      message: 'Invalid option: expected one of "totp"|"hotp"',
    });
    expect(TOKEN_TYPES.filter((t) => t.channel).map((t) => [t.info.type, t.channel])).toEqual(
      CHANNEL_NAMES.map((channel) => [channel, channel]),
    );
  });

  it('refuses a type that says it is enrolled but not how', () => {
    // Building the types touches none of their dependencies; only the check runs.
    const deps = {} as TokenTypeDeps;
    const { enrol: _enrol, provisioning: _provisioning, ...verifyOnly } = totpType.create(deps);
    const broken: TokenTypePlugin = {
      ...totpType,
      info: { ...totpType.info, type: 'half' },
      create: () => verifyOnly,
    };
    expect(() => createTokenTypes(deps, [...TOKEN_TYPES, broken])).toThrow(
      'token type half lacks enrol and provisioning',
    );
    expect(() => createTokenTypes(deps, [...TOKEN_TYPES, totpType])).toThrow(
      'two token types have the same name',
    );
  });
});
