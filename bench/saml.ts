import type { ServiceProvider } from '../src/doors/saml/service-providers/service-provider.js';
import type { User } from '../src/store/repositories/users.js';
import { closedLoop, type Measured } from './closed-loop.js';
import type { InProcessScenario } from './dispatch.js';
import type { ScenarioResult } from './report.js';
import { type BenchSamlDoor, benchSamlDoor } from './saml-door.js';
import { inProcessUsage } from './usage.js';

const USERS = 100;
/** The example SPs of metadata/saml/: assertion signed, response signed, both signed. */
const PROFILES = ['office365', 'google', 'salesforce'] as const;

/**
 * Signed SAML login responses per second (RSA-2048, RSA-SHA256, exclusive c14n): the door's
 * ResponseBuilder as the SSO flow calls it, for the example SPs of metadata/saml/ (office365
 * signs the assertion, google the response, salesforce both). The server signs on its main
 * thread (no worker threads), so this is one core's figure; the headline rotates through the
 * three profiles, and each profile is also measured alone.
 */
export const samlResponse: InProcessScenario = {
  id: 'saml-response',
  title:
    'signed SAML login responses (RSA-2048, SHA-256), office365/google/salesforce in rotation, one core (the server signs on its main thread)',
  async run({ backend, databaseUrl, masterKey, settings, databaseCpuSeconds, log }) {
    const bench = await benchSamlDoor(databaseUrl, masterKey);
    try {
      const { door } = bench;
      const sps = PROFILES.map((name) => {
        const sp = door.registry.named(name);
        if (!sp) throw new Error(`saml-response: metadata/saml/${name}.* is missing or broken`);
        return sp;
      });
      const users = await benchUsers(bench.users);
      let n = 0;
      const respond = (pick: (i: number) => ServiceProvider) => async () => {
        const i = n++;
        const sp = pick(i);
        const response = await door.responses.build({
          user: users[i % USERS]!,
          sp,
          request: { id: `_req${i}`, acsUrl: sp.acs[0]!.url, relayState: 'bench' },
          assurance: { mfa: i % 2 === 0 },
          now: Date.now(),
        });
        if (response.samlResponse.length < 1000) throw new Error('saml-response: response too short');
      };
      const alone: Array<[string, Measured]> = [];
      for (const sp of sps) {
        alone.push([
          sp.name,
          await closedLoop(
            respond(() => sp),
            1,
            settings,
            databaseCpuSeconds,
          ),
        ]);
      }
      // The rotation last, when every path is warm.
      const mixed = await closedLoop(
        respond((i) => sps[i % sps.length]!),
        1,
        settings,
        databaseCpuSeconds,
      );
      const figure = ([name, m]: [string, Measured]) =>
        `${name} (sign ${door.registry.named(name)!.settings.sign}) ${m.opsPerSecond.toFixed(0)}/s, p50 ${m.latency.p50} ms`;
      log(
        `${backend}/saml-response: one core, RSA-2048 SHA-256: rotation ${mixed.opsPerSecond.toFixed(0)}/s ` +
          `(p50 ${mixed.latency.p50} ms, p99 ${mixed.latency.p99} ms); ${alone.map(figure).join('; ')}`,
      );
      const all = [mixed, ...alone.map(([, m]) => m)];
      const errors = all.reduce((s, m) => s + m.errors, 0);
      const example = all.find((m) => m.example)?.example ?? '';
      const errorList: ScenarioResult['errors'] = errors ? { saml: { count: errors, example } } : {};
      return {
        ops: mixed.ops,
        seconds: mixed.seconds,
        opsPerSecond: mixed.opsPerSecond,
        latency: mixed.latency,
        steps: { rotation: mixed.latency, ...Object.fromEntries(alone.map(([k, m]) => [k, m.latency])) },
        errors: errorList,
        errorCount: errors,
        attempted: all.reduce((s, m) => s + m.ops, 0) + errors,
        backend,
        scenario: 'saml-response',
        title: `${samlResponse.title}; alone: ${alone.map(([k, m]) => `${k} ${m.opsPerSecond.toFixed(0)}/s`).join(', ')}`,
        concurrency: 1,
        ...inProcessUsage({
          ops: mixed.ops,
          seconds: mixed.seconds,
          processSeconds: mixed.cpuSeconds,
          machineSeconds: mixed.machineSeconds,
        }),
      };
    } finally {
      await bench.close();
    }
  },
};

/** Users as AD sync stores them, with what the three profiles' NameIDs and attributes read. */
async function benchUsers(users: BenchSamlDoor['users']): Promise<User[]> {
  const created: User[] = [];
  for (let i = 0; i < USERS; i++) {
    const guid = Buffer.alloc(16, i);
    const { user } = await users.upsertFromDirectory(
      {
        externalId: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
        username: `saml-bench-${i}`,
        dn: `CN=Bench ${i},OU=Staff,DC=example,DC=com`,
        displayName: `Bench User ${i}`,
        email: `saml-bench-${i}@example.com`,
        mobile: null,
        groups: ['Staff'],
        disabled: false,
        attributes: {
          userPrincipalName: `saml-bench-${i}@example.com`,
          givenName: 'Bench',
          sn: `User ${i}`,
          objectGuid: guid.toString('base64'),
          immutableId: guid.toString('base64'),
        },
      },
      'ad',
    );
    created.push(user);
  }
  return created;
}
