import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/policy/authentication/authentication-policy.js';
import type { LoginFacts } from '../../src/policy/authentication/facts.js';
import { authenticationRuleSchema } from '../../src/policy/authentication/rule.js';
import { RuleSet } from '../../src/policy/authentication/rule-set.js';

/** Facts of a login from a German address to the wiki, on Wednesday 2026-11-25 10:00 UTC. */
function facts(overrides: Partial<LoginFacts> = {}): LoginFacts {
  const address = overrides.address ?? '193.0.6.139';
  return {
    address,
    ip: parseAddress(address),
    country: 'DE',
    continent: 'EU',
    door: 'oidc',
    application: 'wiki',
    groups: new Set(['staff']),
    tokenTypes: new Set(['totp']),
    trustedAddress: false,
    newCountry: false,
    newDevice: false,
    at: Date.UTC(2026, 10, 25, 10, 0),
    ...overrides,
  };
}

const rules = (...documents: Array<[string, unknown]>) =>
  RuleSet.compile(
    documents.map(([name, document], position) => ({
      kind: 'authentication',
      name,
      position,
      document: authenticationRuleSchema.parse(document),
      updatedAt: 0,
    })),
  );

const allow = { action: 'allow' } as const;
/** The rule matching `when` with an allow outcome decides, or nothing does. */
const matches = (when: Record<string, unknown>, login: Partial<LoginFacts> = {}) =>
  rules(['r', { when, outcome: allow }]).evaluate(facts(login))?.rule === 'r';

describe('Authentication Policy rules', () => {
  describe('conditions', () => {
    it('matches IPv4 and IPv6 networks, and single addresses', () => {
      const when = { networks: ['10.0.0.0/8', '2001:db8::/32', '198.51.100.7'] };
      expect(matches(when, { address: '10.1.2.3', ip: parseAddress('10.1.2.3') })).toBe(true);
      expect(matches(when, { address: '2001:db8:5::1', ip: parseAddress('2001:db8:5::1') })).toBe(true);
      expect(matches(when, { address: '198.51.100.7', ip: parseAddress('198.51.100.7') })).toBe(true);
      expect(matches(when, { address: '198.51.100.8', ip: parseAddress('198.51.100.8') })).toBe(false);
      expect(matches(when, { address: '11.0.0.1', ip: parseAddress('11.0.0.1') })).toBe(false);
      expect(matches(when, { address: '2001:db9::1', ip: parseAddress('2001:db9::1') })).toBe(false);
    });

    it('treats an IPv4-mapped IPv6 source (what Node reports) as IPv4', () => {
      const ip = parseAddress('::ffff:10.9.8.7');
      expect(matches({ networks: ['10.0.0.0/8'] }, { address: '::ffff:10.9.8.7', ip })).toBe(true);
      expect(matches({ networks: ['::ffff:10.0.0.0/104'] }, { address: '10.9.8.7', ip })).toBe(true);
    });

    it('never matches a network for an address that is not an IP address', () => {
      expect(matches({ networks: ['0.0.0.0/0', '::/0'] }, { address: 'unknown', ip: null })).toBe(false);
    });

    it('matches countries and continents, case-insensitively, and never an unknown country', () => {
      expect(matches({ countries: ['fr', 'DE'] })).toBe(true);
      expect(matches({ countries: ['US'] })).toBe(false);
      expect(matches({ continents: ['EU'] })).toBe(true);
      expect(matches({ continents: ['NA', 'SA'] })).toBe(false);
      expect(matches({ continents: ['EU'] }, { country: null, continent: null })).toBe(false);
    });

    it('matches learned trust, a new country and a new device, as true or false', () => {
      expect(matches({ trustedAddress: true }, { trustedAddress: true })).toBe(true);
      expect(matches({ trustedAddress: true })).toBe(false);
      expect(matches({ trustedAddress: false })).toBe(true);
      expect(matches({ newCountry: true }, { newCountry: true })).toBe(true);
      expect(matches({ newCountry: true })).toBe(false);
      expect(matches({ newDevice: true }, { newDevice: true })).toBe(true);
      expect(matches({ newDevice: false }, { newDevice: true })).toBe(false);
    });

    it('matches groups case-insensitively (the facts carry nested membership)', () => {
      expect(matches({ groups: ['Staff'] })).toBe(true);
      expect(matches({ groups: ['admins', 'vpn'] })).toBe(false);
    });

    it('matches the application and the door', () => {
      expect(matches({ applications: ['wiki', 'office365'] })).toBe(true);
      expect(matches({ applications: ['office365'] })).toBe(false);
      expect(matches({ doors: ['oidc'] })).toBe(true);
      expect(matches({ doors: ['saml', 'radius'] })).toBe(false);
    });

    it('matches weekdays and hours in a time zone, including windows over midnight', () => {
      const office = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' };
      // Wednesday 10:00 UTC is 11:00 in Berlin and 05:00 in New York.
      expect(matches({ time: { ...office, timeZone: 'Europe/Berlin' } })).toBe(true);
      expect(matches({ time: { ...office, timeZone: 'America/New_York' } })).toBe(false);
      expect(matches({ time: { ...office, days: ['sat', 'sun'], timeZone: 'Europe/Berlin' } })).toBe(false);
      const night = { from: '22:00', to: '06:00', days: ['wed'], timeZone: 'UTC' };
      expect(matches({ time: night }, { at: Date.UTC(2026, 10, 25, 23, 30) })).toBe(true);
      expect(matches({ time: night }, { at: Date.UTC(2026, 10, 25, 5, 59) })).toBe(true);
      expect(matches({ time: night }, { at: Date.UTC(2026, 10, 25, 6, 0) })).toBe(false);
      expect(
        matches({ time: { days: ['wed'], timeZone: 'UTC' } }, { at: Date.UTC(2026, 10, 25, 23, 59) }),
      ).toBe(true);
    });

    it('answers a time window anew when the minute changes (the answer is kept for a minute)', () => {
      const set = rules([
        'night',
        { when: { time: { from: '22:00', to: '06:00', days: ['wed'] } }, outcome: allow },
      ]);
      const at = (h: number, m: number, s = 0) => facts({ at: Date.UTC(2026, 10, 25, h, m, s) });
      expect(set.evaluate(at(5, 59))?.rule).toBe('night');
      expect(set.evaluate(at(5, 59, 59))?.rule).toBe('night');
      expect(set.evaluate(at(6, 0))).toBeUndefined();
      expect(set.evaluate(at(22, 0))?.rule).toBe('night');
    });

    it('matches the tokens a user has or lacks', () => {
      expect(matches({ hasToken: ['totp', 'hotp'] })).toBe(true);
      expect(matches({ hasToken: ['sms'] })).toBe(false);
      expect(matches({ lacksToken: ['sms', 'voice'] })).toBe(true);
      expect(matches({ lacksToken: ['totp'] })).toBe(false);
    });

    it('needs every condition of `when`, and none of `unless` all holding', () => {
      expect(matches({ countries: ['DE'], groups: ['staff'] })).toBe(true);
      expect(matches({ countries: ['DE'], groups: ['admins'] })).toBe(false);
      const outsideGermany = rules([
        'deny-abroad',
        { unless: { countries: ['DE'] }, outcome: { action: 'deny' } },
      ]);
      expect(outsideGermany.evaluate(facts())).toBeUndefined();
      expect(outsideGermany.evaluate(facts({ country: 'US', continent: 'NA' }))?.rule).toBe('deny-abroad');
    });

    it('matches every login with no conditions, and never with a disabled rule', () => {
      expect(matches({})).toBe(true);
      expect(rules(['off', { enabled: false, outcome: allow }]).evaluate(facts())).toBeUndefined();
    });
  });

  describe('outcomes and order', () => {
    const set = rules(
      [
        'block-sanctioned',
        { when: { countries: ['KP'] }, outcome: { action: 'deny', message: 'ACCESS_DENIED_LOCATION' } },
      ],
      ['office', { when: { networks: ['10.0.0.0/8'] }, outcome: allow }],
      [
        'americas-voice',
        {
          when: { continents: ['NA', 'SA'] },
          outcome: { action: 'mfa', methods: ['voice', 'totp'], passcodePolicy: 'voice-first' },
        },
      ],
      ['everyone', { outcome: { action: 'mfa' } }],
    );

    it('lets the first matching rule decide', () => {
      const office = set.evaluate(
        facts({ address: '10.0.0.5', ip: parseAddress('10.0.0.5'), country: 'KP' }),
      );
      expect(office).toEqual({
        rule: 'block-sanctioned',
        outcome: { action: 'deny', message: 'ACCESS_DENIED_LOCATION' },
      });
      expect(set.evaluate(facts({ address: '10.0.0.5', ip: parseAddress('10.0.0.5') }))?.rule).toBe('office');
      expect(set.evaluate(facts({ country: 'BR', continent: 'SA' }))).toEqual({
        rule: 'americas-voice',
        outcome: { action: 'mfa', methods: ['voice', 'totp'], passcodePolicy: 'voice-first' },
      });
      expect(set.evaluate(facts())?.rule).toBe('everyone');
    });

    it('gives a denial a default message key', () => {
      expect(authenticationRuleSchema.parse({ outcome: { action: 'deny' } }).outcome).toEqual({
        action: 'deny',
        message: 'ACCESS_DENIED',
      });
    });
  });

  describe('validation', () => {
    const problem = (document: unknown) => {
      const result = authenticationRuleSchema.safeParse(document);
      return result.success
        ? undefined
        : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };

    it('refuses a bad CIDR range, naming it', () => {
      expect(problem({ when: { networks: ['10.0.0.0/33'] }, outcome: allow })).toMatch(
        /^when\.networks\.0: "10\.0\.0\.0\/33" is not an IP address or CIDR range/,
      );
      expect(problem({ when: { networks: ['intranet'] }, outcome: allow })).toMatch(
        /"intranet" is not an IP/,
      );
    });

    it('refuses an unknown country or continent code', () => {
      expect(problem({ when: { countries: ['XX'] }, outcome: allow })).toMatch(
        /^when\.countries\.0: "XX" is not an ISO 3166 country code/,
      );
      expect(problem({ when: { continents: ['EUROPE'] }, outcome: allow })).toMatch(
        /"EUROPE" is not a continent code/,
      );
    });

    it('refuses unknown conditions, actions, methods, time zones and times', () => {
      expect(problem({ when: { country: ['DE'] }, outcome: allow })).toMatch(/country/);
      expect(problem({ outcome: { action: 'maybe' } })).toMatch(/^outcome\.action/);
      expect(problem({ outcome: { action: 'mfa', methods: ['carrier-pigeon'] } })).toMatch(
        /^outcome\.methods\.0/,
      );
      expect(problem({ when: { time: { timeZone: 'Mars/Olympus' } }, outcome: allow })).toMatch(
        /"Mars\/Olympus" is not an IANA time zone/,
      );
      expect(problem({ when: { time: { from: '8am' } }, outcome: allow })).toMatch(
        /expected a time as HH:MM/,
      );
      expect(problem({ outcome: { action: 'deny', message: 'not a key' } })).toMatch(
        /expected a message key/,
      );
    });
  });
});
