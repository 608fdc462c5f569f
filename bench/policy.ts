import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../src/observability/logger.js';
import {
  AuthenticationPolicy,
  type LoginContext,
  parseAddress,
} from '../src/policy/authentication/authentication-policy.js';
import { PolicyStore } from '../src/policy/policy-store.js';
import { loadConfig } from '../src/server/config.js';
import { type Core, composeCore } from '../src/server/core.js';
import { composeAuthenticationPolicy, composeChallenges } from '../src/server/engine.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import type { User } from '../src/store/repositories/users.js';
import { oathToken } from '../src/tokens/enrol.js';
import { closedLoop } from './closed-loop.js';
import type { InProcessScenario } from './dispatch.js';
import { BENCH_APPLICATIONS, benchAddresses, benchGroups, benchPolicySet } from './policy-rules.js';
import type { ScenarioResult } from './report.js';
import { inProcessUsage } from './usage.js';

const USERS = 1000;
const ADDRESSES = 8192;
const SECRET = Buffer.from('12345678901234567890');

/**
 * Policy decisions per second with a realistic Authentication Policy of BENCH_POLICY_RULES (200)
 * rules, a typical login matching one of the last or none. Measured: (a) the per-login CPU path,
 * `AuthenticationPolicy.facts` (address parsed, country looked up in the bundled database, the
 * store's answers given from memory) and `evaluate`, on one core: the figure compared with the
 * target; (b) the full `decide()` as the OIDC door calls it, with its store reads (rules version,
 * tokens, login history, learned trust), BENCH_POLICY_CONCURRENCY in flight, on the backend.
 */
export const policyDecide: InProcessScenario = {
  id: 'policy-decide',
  title: 'Authentication Policy decision: geo lookup and rules (facts + evaluate), one core',
  async run({ backend, databaseUrl, settings, databaseCpuSeconds, log }) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'passgate-bench-policy-'));
    const database = await openDatabase(databaseUrl);
    try {
      await migrateToLatest(database);
      const config = loadConfig({
        env: {},
        overrides: { dataDir, database: { url: databaseUrl }, policies: { learning: { enabled: true } } },
      });
      const core = composeCore(config, database, () => Date.now());
      await new PolicyStore(core.policies).importSet(benchPolicySet(settings.policyRules));
      const users = await benchUsers(core);
      const addresses = benchAddresses(ADDRESSES);
      let n = 0;
      const login = (): { user: User; context: LoginContext } => {
        const i = n++;
        return {
          user: users[i % USERS]!,
          context: {
            address: addresses[i % ADDRESSES]!,
            door: 'oidc',
            application: BENCH_APPLICATIONS[i % BENCH_APPLICATIONS.length]!,
            device: `device-${i % 3000}`,
          },
        };
      };

      // (a) The CPU path: the engine's facts() and evaluate(), the store's answers from memory.
      const factorTypes = new Map(
        await Promise.all(
          users.map(async (u) => [u.id, (await core.tokens.listByUser(u.id)).map((t) => t.type)] as const),
        ),
      );
      const inMemory = new AuthenticationPolicy({
        policies: core.policies,
        geo: core.geo,
        trust: {
          isTrusted: async () => false,
          recordMfaSuccess: () => Promise.reject(new Error('read only')),
        },
        history: {
          seen: async (_user, country) => ({ newCountry: country === 'JP', newDevice: false }),
          record: () => Promise.reject(new Error('read only')),
        },
        factorTypes: async (user) => factorTypes.get(user.id) ?? [],
        audit: core.audit,
        settings: config.policies,
        clock: () => Date.now(),
      });
      const rules = await inMemory.rules();
      const outcomes = new Map<string, number>();
      const evaluate = async () => {
        const { user, context } = login();
        const decision = inMemory.evaluate(rules, await inMemory.facts(user, context));
        outcomes.set(decision.rule, (outcomes.get(decision.rule) ?? 0) + 1);
      };
      const cpuPath = await closedLoop(evaluate, 1, settings, databaseCpuSeconds);
      const rulesAlone = rulesPerSecond(inMemory, rules, users, addresses);

      // (b) The whole decide() over the store, as the server composes it.
      const { challenges } = composeChallenges(core, { logger: createLogger('silent'), translate: () => '' });
      const policy = composeAuthenticationPolicy(core, challenges);
      for (const user of users) await challenges.offersFor(user); // the directory's channel tokens, once
      const decide = async () => {
        const { user, context } = login();
        await policy.decide(user, context);
      };
      const full = await closedLoop(decide, settings.policyConcurrency, settings, databaseCpuSeconds);

      const matched = [...outcomes]
        .filter(([rule]) => !rule.startsWith('default'))
        .reduce((s, [, c]) => s + c, 0);
      log(
        `${backend}/policy-decide: ${rules.size} rules, ${ADDRESSES} addresses, ${USERS} users; ` +
          `${Math.round((matched / Math.max(1, cpuPath.ops)) * 100)}% of logins matched a rule (the others: default). ` +
          `facts + evaluate ${cpuPath.opsPerSecond.toFixed(0)}/s on one core (p50 ${cpuPath.latency.p50} ms); ` +
          `the rules alone (facts prepared) ${rulesAlone.toFixed(0)}/s`,
      );
      log(
        `${backend}/policy-decide: full decide() with its store reads, ${settings.policyConcurrency} in flight: ` +
          `${full.opsPerSecond.toFixed(0)}/s (p50 ${full.latency.p50} ms, p99 ${full.latency.p99} ms, ` +
          `process CPU ${Math.round((full.cpuSeconds / full.seconds) * 100)}%, ` +
          `db CPU ${Math.round((full.databaseSeconds / full.seconds) * 100)}%)${full.errors ? `, ${full.errors} ERRORS: ${full.example}` : ''}`,
      );
      const errors = cpuPath.errors + full.errors;
      const errorList: ScenarioResult['errors'] = errors
        ? { policy: { count: errors, example: cpuPath.example ?? full.example ?? '' } }
        : {};
      return {
        ops: cpuPath.ops,
        seconds: cpuPath.seconds,
        opsPerSecond: cpuPath.opsPerSecond,
        latency: cpuPath.latency,
        steps: { evaluate: cpuPath.latency, decide: full.latency },
        errors: errorList,
        errorCount: errors,
        attempted: cpuPath.ops + full.ops + errors,
        backend,
        scenario: 'policy-decide',
        title: `${policyDecide.title}; full decide() with store reads ${full.opsPerSecond.toFixed(0)}/s at ${settings.policyConcurrency} in flight`,
        concurrency: 1,
        ...inProcessUsage({
          ops: cpuPath.ops,
          seconds: cpuPath.seconds,
          processSeconds: cpuPath.cpuSeconds,
          machineSeconds: cpuPath.machineSeconds,
        }),
      };
    } finally {
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

/** Users with groups; half with a TOTP token, a third with a mobile number, some history and trust. */
async function benchUsers(core: Core): Promise<User[]> {
  const users: User[] = [];
  for (let i = 0; i < USERS; i++) {
    users.push(
      await core.users.create({
        username: `policy-bench-${i}`,
        groups: benchGroups(i),
        ...(i % 3 === 0 ? { mobile: `+3361234${String(i).padStart(4, '0')}` } : {}),
      }),
    );
  }
  const withTokens = users.filter((_, i) => i % 2 === 0);
  await core.tokens.createMany(
    withTokens.map((u) => oathToken({ userId: u.id, label: u.username, type: 'totp', secret: SECRET })),
  );
  for (const [i, user] of users.entries()) {
    for (const country of ['DE', 'FR', 'US'].slice(0, 1 + (i % 3)))
      await core.loginHistory.record(user.id, country, `device-${i}`);
    if (i % 10 === 0)
      for (let k = 0; k < 3; k++) await core.learnedTrust.recordMfaSuccess(user.id, `198.51.100.${i % 250}`);
  }
  return users;
}

/** RuleSet.evaluate alone over prepared facts, for comparison (half a second). */
function rulesPerSecond(
  policy: AuthenticationPolicy,
  rules: Awaited<ReturnType<AuthenticationPolicy['rules']>>,
  users: readonly User[],
  addresses: readonly string[],
): number {
  const facts = addresses.slice(0, 512).map((address, i) => ({
    address,
    ip: parseAddress(address),
    country: ['DE', 'US', 'JP', 'BR', null][i % 5]!,
    continent: ['EU', 'NA', 'AS', 'SA', null][i % 5]!,
    door: 'oidc',
    application: BENCH_APPLICATIONS[i % BENCH_APPLICATIONS.length]!,
    groups: new Set(users[i]!.groups.map((g) => g.toLowerCase())),
    tokenTypes: new Set(i % 2 === 0 ? ['totp'] : []),
    trustedAddress: false,
    newCountry: false,
    newDevice: false,
    at: Date.now(),
  }));
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < 500) {
    for (let i = 0; i < 100; i++) policy.evaluate(rules, facts[n++ % facts.length]!);
  }
  return n / ((performance.now() - started) / 1000);
}
