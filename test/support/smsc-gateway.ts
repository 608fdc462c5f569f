import { startSmsc } from '../dispatch/smsc.js';

/** The environment variable the test SMPP gateway reads its password from. */
export const SMPP_PASSWORD_VARIABLE = 'PASSGATE_TEST_SMPP_PASSWORD';

/** Starts the test SMSC with the password {@link smppGateway} reads, so a server can send it passcodes. */
export async function startGatewaySmsc(): Promise<Awaited<ReturnType<typeof startSmsc>>> {
  process.env[SMPP_PASSWORD_VARIABLE] = 'smpp-pass';
  return startSmsc();
}

/** The `dispatch.gateways` entry sending SMS to a test SMSC, one definition for every test that needs one. */
export function smppGateway(smsc: { url: string }) {
  return {
    type: 'smpp' as const,
    name: 'smsc',
    url: smsc.url,
    systemId: 'passgate',
    password: `{env.${SMPP_PASSWORD_VARIABLE}}`,
    sender: 'Passgate',
    reconnectSeconds: 0.05,
  };
}
