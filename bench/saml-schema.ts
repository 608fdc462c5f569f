import { generateKeyPairSync } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { SAML } from '@node-saml/node-saml';
import { SamlSchema, samlSchema } from '../src/doors/saml/messages/schema-validator.js';
import { samlify } from '../src/doors/saml/signing/samlify.js';
import { selfSignedCertifier } from '../src/keys/certificate.js';
import type { User } from '../src/store/repositories/users.js';
import type { InProcessScenario } from './dispatch.js';
import { summarize } from './load.js';
import type { ScenarioResult } from './report.js';
import { type BenchSamlDoor, benchSamlDoor, IDP_URL } from './saml-door.js';
import { machineBusySeconds } from './server.js';
import { inProcessUsage } from './usage.js';

/** Distinct messages validated in rotation. */
const MESSAGES = 2000;
/** Messages validated between two turns of the event loop (as requests would be, one per turn). */
const BATCH = 100;

/**
 * In-process cost of SAML schema validation per message: the SAML 2.0 protocol schema as the SAML
 * door compiles it at start, validating 2,000 distinct real messages in rotation (the kinds below)
 * on one core, with the memory before and after the window (nothing may be retained per message).
 */
export const samlSchemaValidation: InProcessScenario = {
  id: 'saml-schema',
  title:
    'SAML schema validation per message (libxml2 WebAssembly, compiled once): 2,000 AuthnRequests, LogoutRequests, Responses and LogoutResponses in rotation, one core',
  async run({ backend, databaseUrl, masterKey, settings, log }) {
    const bench = await benchSamlDoor(databaseUrl, masterKey);
    try {
      const began = performance.now();
      (await SamlSchema.compile()).dispose();
      const compileMs = performance.now() - began;
      const schema = await samlSchema();
      const messages = await samlMessages(bench, MESSAGES);
      const byKind = new Map<string, number[]>();
      const latencies: number[] = [];
      let errors = 0;
      let example: string | undefined;
      let i = 0;
      const validateFor = async (seconds: number, record: boolean) => {
        const end = performance.now() + seconds * 1000;
        while (performance.now() < end) {
          for (let n = 0; n < BATCH; n++, i++) {
            const message = messages[i % messages.length]!;
            const start = performance.now();
            try {
              await schema.validate(message.xml);
            } catch (error) {
              errors++;
              example ??= `${message.kind}: ${(error as Error).message}`;
              continue;
            }
            if (!record) continue;
            const ms = performance.now() - start;
            latencies.push(ms);
            const kind = byKind.get(message.kind) ?? [];
            kind.push(ms);
            byKind.set(message.kind, kind);
          }
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      await validateFor(settings.warmupSeconds, false);
      global.gc?.();
      const memoryBefore = process.memoryUsage();
      const cpu = process.cpuUsage();
      const machine = machineBusySeconds();
      const windowStart = performance.now();
      await validateFor(settings.seconds, true);
      const seconds = (performance.now() - windowStart) / 1000;
      const used = process.cpuUsage(cpu);
      const machineSeconds = machineBusySeconds() - machine;
      global.gc?.();
      const memoryAfter = process.memoryUsage();
      const latency = summarize(latencies);
      const errorList: ScenarioResult['errors'] = errors
        ? { schema: { count: errors, example: example ?? '' } }
        : {};
      const sorted = Float64Array.from(latencies).sort();
      const micros = (p: number) =>
        Math.round((sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0) * 1000);
      const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
      log(
        `${backend}/saml-schema: ${latencies.length} validations of ${messages.length} distinct messages: ` +
          `p50 ${micros(0.5)} µs, p99 ${micros(0.99)} µs, max ${micros(1)} µs; compile at start ${compileMs.toFixed(0)} ms; ` +
          `RSS ${mb(memoryBefore.rss)} → ${mb(memoryAfter.rss)} MB, heap ${mb(memoryBefore.heapUsed)} → ${mb(memoryAfter.heapUsed)} MB` +
          (global.gc ? '' : ' (without --expose-gc)'),
      );
      const processSeconds = (used.user + used.system) / 1e6;
      return {
        ops: latencies.length,
        seconds,
        opsPerSecond: latencies.length / seconds,
        latency,
        steps: Object.fromEntries([...byKind].map(([kind, ms]) => [kind, summarize(ms)])),
        errors: errorList,
        errorCount: errors,
        attempted: i,
        backend,
        scenario: 'saml-schema',
        title: `${samlSchemaValidation.title}; compile at start ${compileMs.toFixed(0)} ms`,
        concurrency: 1,
        ...inProcessUsage({ ops: latencies.length, seconds, processSeconds, machineSeconds }),
      } satisfies ScenarioResult;
    } finally {
      await bench.close();
    }
  },
};
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/** One SAML message as the schema validator sees it (decoded XML), with what produced it. */
export interface SamlMessage {
  kind: string;
  xml: string;
}

/**
 * `count` distinct messages of the kinds Passgate's tests produce and its doors exchange, in
 * rotation: AuthnRequests (samlify signed Redirect and signed POST, node-saml with
 * RequestedAuthnContext), LogoutRequests (samlify signed Redirect and POST, node-saml), and
 * Passgate's own signed Responses, status Responses and LogoutResponses.
 */
export async function samlMessages(bench: BenchSamlDoor, count: number): Promise<SamlMessage[]> {
  const { door } = bench;
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = await selfSignedCertifier(() => ({
    commonName: 'sp.example.com',
    validityYears: 1,
    now: Date.now(),
  }))(pair);
  const privateKey = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const entityId = 'https://sp.example.com';
  const metadata =
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">` +
    '<md:SPSSODescriptor AuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:SingleLogoutService Binding="${POST}" Location="${entityId}/slo"/>` +
    `<md:AssertionConsumerService index="0" isDefault="true" Binding="${POST}" Location="${entityId}/acs"/>` +
    '</md:SPSSODescriptor></md:EntityDescriptor>';
  const sp = samlify.ServiceProvider({ metadata, privateKey, authnRequestsSigned: true }) as unknown as {
    createLoginRequest(idp: unknown, binding: 'redirect' | 'post'): { context: string };
    createLogoutRequest(idp: unknown, binding: 'redirect' | 'post', user: unknown): { context: string };
  };
  const idp = samlify.IdentityProvider({
    // The SP's view of Passgate: it signs because Passgate asks for it.
    metadata: door.metadata().replace('WantAuthnRequestsSigned="false"', 'WantAuthnRequestsSigned="true"'),
  });
  const nodeSaml = new SAML({
    issuer: entityId,
    callbackUrl: `${entityId}/acs`,
    entryPoint: `${IDP_URL}/saml/sso`,
    logoutUrl: `${IDP_URL}/saml/slo`,
    idpCert: der,
    authnContext: ['http://schemas.microsoft.com/claims/multipleauthn'],
    forceAuthn: true,
  });
  const user = await benchUser(bench.users);
  const google = door.registry.named('google')!;
  const salesforce = door.registry.named('salesforce')!;
  const office365 = door.registry.named('office365')!;
  const profiles = [google, salesforce, office365];
  const fromQuery = (url: string, name: string) =>
    inflateRawSync(Buffer.from(new URL(url).searchParams.get(name)!, 'base64')).toString('utf8');
  const fromBase64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');
  const makers: Array<[string, (i: number) => string | Promise<string>]> = [
    [
      'AuthnRequest samlify Redirect',
      () => fromQuery(sp.createLoginRequest(idp, 'redirect').context, 'SAMLRequest'),
    ],
    ['AuthnRequest samlify POST signed', () => fromBase64(sp.createLoginRequest(idp, 'post').context)],
    [
      'AuthnRequest node-saml',
      async (i) => fromQuery(await nodeSaml.getAuthorizeUrlAsync(`rs${i}`, undefined, {}), 'SAMLRequest'),
    ],
    [
      'LogoutRequest samlify Redirect',
      () =>
        fromQuery(
          sp.createLogoutRequest(idp, 'redirect', { logoutNameID: 'alice@example.com' }).context,
          'SAMLRequest',
        ),
    ],
    [
      'LogoutRequest samlify POST signed',
      () => fromBase64(sp.createLogoutRequest(idp, 'post', { logoutNameID: 'alice@example.com' }).context),
    ],
    [
      'LogoutRequest node-saml',
      async (i) =>
        fromQuery(
          await nodeSaml.getLogoutUrlAsync(
            { issuer: entityId, nameID: 'alice@example.com', nameIDFormat: 'x', sessionIndex: `s${i}` },
            '',
            {},
          ),
          'SAMLRequest',
        ),
    ],
    [
      'Response signed (Passgate)',
      async (i) => {
        const target = profiles[i % profiles.length]!;
        const response = await door.responses.build({
          user,
          sp: target,
          request: { id: `_req${i}`, acsUrl: target.acs[0]!.url, relayState: 'bench' },
          assurance: { mfa: i % 2 === 0 },
          now: Date.now(),
        });
        return fromBase64(response.samlResponse);
      },
    ],
    [
      'Response status (Passgate)',
      (i) =>
        fromBase64(
          door.statusResponses.build(
            google,
            { id: `_req${i}`, acsUrl: google.acs[0]!.url, relayState: undefined },
            'noPassive',
            Date.now(),
          ).samlResponse,
        ),
    ],
    [
      'LogoutResponse (Passgate)',
      (i) => {
        const answer = door.logoutResponses.build({
          sp: google,
          endpoint: { binding: 'post', responseUrl: `${entityId}/slo` },
          inResponseTo: `_lr${i}`,
          relayState: undefined,
          now: Date.now(),
        });
        if (answer.binding !== 'post') throw new Error('saml-schema: expected a POST LogoutResponse');
        return fromBase64(answer.samlResponse);
      },
    ],
  ];
  const messages: SamlMessage[] = [];
  for (let i = 0; i < count; i++) {
    const [kind, make] = makers[i % makers.length]!;
    messages.push({ kind, xml: await make(i) });
  }
  return messages;
}

/** One user as AD sync stores them, with what the example profiles' NameIDs and attributes read. */
async function benchUser(users: BenchSamlDoor['users']): Promise<User> {
  const guid = Buffer.alloc(16, 7);
  const { user } = await users.upsertFromDirectory(
    {
      externalId: '00000000-0000-0000-0000-00000000beef',
      username: 'saml-schema-bench',
      dn: 'CN=Bench,OU=Staff,DC=example,DC=com',
      displayName: 'Bench User',
      email: 'saml-schema-bench@example.com',
      mobile: null,
      groups: ['Staff'],
      disabled: false,
      attributes: {
        userPrincipalName: 'saml-schema-bench@example.com',
        givenName: 'Bench',
        sn: 'User',
        objectGuid: guid.toString('base64'),
        immutableId: guid.toString('base64'),
      },
    },
    'ad',
  );
  return user;
}
