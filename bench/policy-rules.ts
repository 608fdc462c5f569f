/**
 * A realistic Authentication Policy for the policy-decide scenario: a few hundred rules mixing
 * every kind of condition, written so that a typical login matches one of the last rules or
 * none, and so is checked against nearly all of them.
 */

const COUNTRIES = ['DE', 'FR', 'GB', 'US', 'CA', 'NL', 'BE', 'CH', 'AT', 'IT', 'ES', 'SE', 'PL', 'JP', 'BR'];
const CONTINENTS = ['EU', 'NA', 'AS', 'SA', 'OC'];
const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC', 'Europe/London'];

/** Applications the bench logins use; rules mostly name others. */
export const BENCH_APPLICATIONS = ['office365', 'salesforce', 'google', 'vpn', 'intranet'];

/** Groups of the bench users. */
export const benchGroups = (i: number) => ['Staff', `team-${i % 20}`, ...(i % 7 === 0 ? ['Finance'] : [])];

const pick = <T>(list: readonly T[], i: number, n: number) =>
  Array.from({ length: n }, (_, k) => list[(i * 7 + k * 3) % list.length]!).filter(
    (v, k, all) => all.indexOf(v) === k,
  );

const v4 = (i: number, k: number) => `10.${i % 250}.${k * 16}.0/${20 + (k % 5)}`;
const v6 = (i: number, k: number) => `2001:db8:${i.toString(16)}:${k.toString(16)}00::/56`;

/** One rule of position `i` (0-based) among `count`. */
function rule(i: number, count: number): Record<string, unknown> {
  if (i === count - 2)
    return {
      description: 'Europe: SMS through the European gateways',
      when: { continents: ['EU'], applications: ['office365'] },
      outcome: { action: 'mfa', passcodePolicy: 'bench', loadBalancingPolicy: 'bench-eu' },
    };
  if (i === count - 1) return { when: { countries: ['KP', 'IR', 'SY'] }, outcome: { action: 'deny' } };
  const mfa = { action: 'mfa', methods: ['totp', 'sms'] };
  switch (i % 8) {
    case 0: // a site: several IPv4 and IPv6 ranges
      return {
        when: { networks: [0, 1, 2, 3].map((k) => v4(i, k)).concat([v6(i, 0), v6(i, 1)]) },
        outcome: { action: 'allow' },
      };
    case 1:
      return { when: { countries: pick(COUNTRIES, i, 3), applications: [`app-${i}`] }, outcome: mfa };
    case 2:
      return { when: { continents: pick(CONTINENTS, i, 2), groups: [`group-${i}`] }, outcome: mfa };
    case 3:
      return {
        when: {
          groups: ['Staff', `team-${i % 20}`],
          applications: [`app-${i}`],
          time: {
            days: ['mon', 'tue', 'wed', 'thu', 'fri'],
            from: '07:00',
            to: '19:00',
            timeZone: ZONES[i % 5],
          },
        },
        outcome: { action: 'allow' },
      };
    case 4: // a time window checked for every login, then a token type nobody has
      return {
        when: {
          time: { days: ['sat', 'sun'], from: '22:00', to: '06:00', timeZone: ZONES[i % 5] },
          hasToken: ['hotp'],
        },
        outcome: { action: 'deny', message: 'ACCESS_DENIED_TIME' },
      };
    case 5:
      return { when: { applications: [`app-${i}`, `app-${i + 1}`], doors: ['oidc', 'saml'] }, outcome: mfa };
    case 6:
      return {
        when: { newCountry: true, countries: pick(COUNTRIES, i, 2), groups: ['Finance'] },
        unless: { networks: [v4(i, 0), v6(i, 0)] },
        outcome: { action: 'deny', message: 'ACCESS_DENIED_LOCATION' },
      };
    default:
      return {
        when: { lacksToken: ['totp', 'hotp'], continents: ['AF', 'AN'] },
        outcome: { action: 'deny' },
      };
  }
}

/** The policy set (rules and the policies they name), ready for PolicyStore.importSet. */
export function benchPolicySet(count: number): Record<string, Record<string, unknown>> {
  const rules: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) rules[`rule-${String(i).padStart(3, '0')}`] = rule(i, count);
  return {
    passcode: { bench: { length: 8 } },
    'load-balancing': { 'bench-eu': { channels: ['sms'], members: [{ gateway: 'outbox' }] } },
    authentication: rules,
  };
}

/** Varied public source addresses (IPv4 and IPv6), deterministic. */
export function benchAddresses(count: number): string[] {
  let seed = 0x2545f491;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  return Array.from({ length: count }, (_, i) => {
    const n = next();
    if (i % 4 === 3)
      return `2a0${n % 10}:${(n >>> 8).toString(16)}:${(next() % 65536).toString(16)}::${i.toString(16)}`;
    return `${[1 + (n % 223), (n >>> 8) & 255, (n >>> 16) & 255, 1 + ((n >>> 24) % 254)].join('.')}`;
  });
}
