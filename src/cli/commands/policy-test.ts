import { type Command, CommanderError } from 'commander';
import type { RoutePreview } from '../../dispatch/preview.js';
import { SimulationErrors } from '../../policy/authentication/errors.js';
import { type Simulation, simulateLogin, stepUpFor } from '../../policy/authentication/simulate.js';
import { composePolicySimulator } from '../../server/compose-simulator.js';
import { type GlobalOptions, say, withCore } from '../context.js';
import type { CliIo } from '../io.js';

/** Exit code of a wrong --ip, --at or --acr (as for a configuration error: the input is wrong). */
const EXIT_USAGE = 2;

interface TestOptions {
  user: string;
  ip: string;
  app?: string;
  door: string;
  at?: string;
  device?: string;
  acr?: string;
  stepUp?: boolean;
  json?: boolean;
}

/** `passgate policy test`: what the Authentication Policy would decide for a login; sends and writes nothing. */
export function registerPolicyTestCommand(policy: Command, globals: () => GlobalOptions, io: CliIo): void {
  policy
    .command('test')
    .description(
      'Show which rule matches a login and what would happen (methods, passcode, gateway); sends nothing',
    )
    .requiredOption('--user <username>', 'who signs in')
    .requiredOption('--ip <address>', 'source address, IPv4 or IPv6')
    .option('--app <application>', 'OIDC client id, SAML SP name or RADIUS client')
    .option('--door <door>', 'oidc, saml, radius, activesync, selfservice or admin', 'oidc')
    .option('--at <time>', 'when the login happens, ISO 8601 (default: now)')
    .option('--device <id>', 'id of the browser or device (its passgate.device cookie)')
    .option('--acr <value>', 'acr_values the application asks for: mfa or password')
    .option('--step-up', 'the application requires a second factor (require_mfa)')
    .option('--json', 'print one JSON object')
    .action(async (options: TestOptions) => {
      const usage = (line: string) => {
        io.stderr.write(`passgate: ${line}\n`);
        return new CommanderError(EXIT_USAGE, 'passgate.usage', line);
      };
      const at = options.at === undefined ? undefined : Date.parse(options.at);
      if (at !== undefined && !Number.isFinite(at))
        throw usage(`--at: "${options.at}" is not a time (ISO 8601, e.g. 2026-11-25T10:00:00Z)`);
      let stepUp: string | undefined;
      try {
        stepUp = stepUpFor(options.acr, options.stepUp);
      } catch (error) {
        if (SimulationErrors.is(error, 'SIMULATION_INVALID_INPUT')) throw usage(`--acr: ${error.message}`);
        throw error;
      }
      await withCore(globals(), async (core) => {
        if (options.app !== undefined) {
          // Reading the SAML SPs loads samlify: only this command pays for it, not every start.
          const { registeredApplications, unregisteredApplication } = await import(
            '../registered-applications.js'
          );
          const { metadataDir } = core.config;
          const problem = unregisteredApplication(
            options.app,
            options.door,
            registeredApplications(core.config),
            metadataDir,
          );
          // A typo here would make a rule about the application silently not match: say so, and go on.
          if (problem) io.stderr.write(`passgate: warning: ${problem}\n`);
        }
        let result: Simulation;
        try {
          result = await simulateLogin(composePolicySimulator(core), {
            username: options.user,
            address: options.ip,
            door: options.door,
            ...(options.app ? { application: options.app } : {}),
            ...(at !== undefined ? { at } : {}),
            ...(options.device ? { device: options.device } : {}),
            ...(stepUp ? { stepUp } : {}),
          });
        } catch (error) {
          if (SimulationErrors.is(error, 'SIMULATION_INVALID_INPUT')) throw usage(`--ip: ${error.message}`);
          throw error;
        }
        if (options.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else for (const line of describe(result)) say(io, line);
      });
    });
}

const yesNo = (value: boolean) => (value ? 'yes' : 'no');
const row = (label: string, value: string) => `  ${label.padEnd(16)} ${value}`;

/** The simulation as text lines. */
function describe(s: Simulation): string[] {
  const { facts } = s;
  const who = s.user.displayName ? `${s.user.username} (${s.user.displayName})` : s.user.username;
  const app = s.request.application ? ` to ${s.request.application}` : '';
  const place = facts.country
    ? `${facts.country}${facts.countryName ? ` (${facts.countryName})` : ''}, continent ${facts.continent ?? '?'}`
    : 'unknown (private, reserved or not in the database)';
  const lines = [
    `Login of ${who} from ${facts.address} through ${s.request.door}${app} at ${s.request.at}`,
    ...(s.user.disabled ? ['  (the user is disabled: the real login would stop at the password)'] : []),
    'Facts',
    row('address', facts.address),
    row('country', place),
    row('trusted address', yesNo(facts.trustedAddress)),
    row('new country', yesNo(facts.newCountry)),
    row('new device', s.request.device ? yesNo(facts.newDevice) : 'no (no --device given)'),
    row('groups', facts.groups.length > 0 ? facts.groups.join(', ') : '(none)'),
    row('second factors', facts.factors.map((f) => `${f.type} ${f.label}`.trim()).join(', ') || '(none)'),
    `Decision (${s.rules} ${s.rules === 1 ? 'rule' : 'rules'} checked in order)`,
    row('rule', s.rule),
    row('why', s.reason),
    row('action', s.message ? `${s.action} (message ${s.message})` : s.action),
  ];
  if (s.action === 'mfa') {
    const methods = s.methods.map((m, i) => `${i + 1}. ${m.type} ${m.label}`.trim()).join('  ');
    lines.push(row('methods', methods || '(none)'));
  }
  if (s.problem) lines.push(row('problem', s.problem));
  const p = s.passcode;
  if (p) {
    lines.push(
      row('passcode', `${p.channel} to ${p.destination}, ${p.automatic ? 'sent at once' : 'on request'}`),
    );
    lines.push(row('passcode policy', p.passcodePolicy));
    lines.push(row('load balancing', p.route ? routeLine(p.route) : `no gateway carries ${p.channel}`));
  }
  lines.push('Nothing was sent or written.');
  return lines;
}

function routeLine(route: RoutePreview): string {
  const order = route.order.join(', ');
  return route.firstIsFixed
    ? `${route.policy} (${route.strategy}): ${order}; first ${route.order[0]}`
    : `${route.policy} (${route.strategy}): ${order}; the first gateway rotates by weight`;
}
