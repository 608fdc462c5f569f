import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { RunningDoors } from '../../src/server/doors.js';
import { startTestServer, type TestServer } from './server.js';

/** What radclient received: the reply's code (or `timeout`), its attributes and radclient's output. */
export interface RadclientReply {
  code: 'Access-Accept' | 'Access-Reject' | 'Access-Challenge' | 'timeout';
  /** Attribute values as radclient prints them (strings unquoted), by name. */
  attributes: Record<string, string[]>;
  output: string;
}

/** Options of {@link radclient}. */
export interface RadclientOptions {
  /** `host:port` of the server (IPv6 as `[::1]:port`). */
  server: string;
  secret: string;
  /** Adds `Message-Authenticator = 0x00`, which radclient computes (default true). */
  messageAuthenticator?: boolean;
  /** Seconds to wait for a reply (default 3). */
  timeout?: number;
}

/**
 * Sends one Access-Request with Debian's radclient (freeradius-utils), an implementation
 * independent of Passgate's: it checks the reply's Response Authenticator and
 * Message-Authenticator and decodes its attributes with FreeRADIUS's dictionaries. Asynchronous,
 * so that a server in the same process can answer.
 */
export function radclient(
  attributes: Record<string, string>,
  options: RadclientOptions,
): Promise<RadclientReply> {
  const pairs = Object.entries(attributes).map(([name, value]) =>
    /^0x[0-9a-f]*$/i.test(value) || /^\d+$/.test(value)
      ? `${name} = ${value}`
      : `${name} = "${value.replace(/(["\\])/g, '\\$1')}"`,
  );
  if (options.messageAuthenticator !== false) pairs.push('Message-Authenticator = 0x00');
  const args = ['-x', '-r', '1', '-t', String(options.timeout ?? 3), options.server, 'auth', options.secret];
  return new Promise((resolve, reject) => {
    const child = execFile('radclient', args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (error && typeof error.code !== 'number') return reject(error);
      resolve(parseReply(output));
    });
    child.stdin!.end(`${pairs.join(', ')}\n`);
  });
}

function parseReply(output: string): RadclientReply {
  const lines = output.split('\n');
  const at = lines.findIndex((l) => /^Received Access-(Accept|Reject|Challenge) /.test(l));
  if (at < 0) return { code: 'timeout', attributes: {}, output };
  const code = /^Received (Access-\w+)/.exec(lines[at]!)![1] as RadclientReply['code'];
  const attributes: Record<string, string[]> = {};
  for (const line of lines.slice(at + 1)) {
    const match = /^\s+([\w-]+) = (.*)$/.exec(line);
    if (!match) break;
    const value = match[2]!.replace(/^"(.*)"$/, '$1');
    attributes[match[1]!] = [...(attributes[match[1]!] ?? []), value];
  }
  return { code, attributes, output };
}

/**
 * Writes RADIUS client files into a running test server's `metadata/radius/` (the door reloads
 * them), and gives the door's UDP port.
 */
export async function radiusClients(
  passgate: { config: { metadataDir: string }; server: { services(): { doors: RunningDoors } | undefined } },
  clients: Array<Record<string, unknown> & { name: string }>,
): Promise<number> {
  const folder = path.join(passgate.config.metadataDir, 'radius');
  mkdirSync(folder, { recursive: true });
  for (const client of clients) writeFileSync(path.join(folder, `${client.name}.yaml`), stringify(client));
  const door = passgate.server.services()!.doors.radius!;
  await door.reload!();
  return door.address().port;
}

/** The one NAS of {@link startRadiusTestServer}: its secret is read from `secretVariable`, set here. */
export type TestNas = Record<string, unknown> & { name: string; secret: string; secretVariable: string };

/**
 * A test server with the RADIUS door on a free loopback port and one NAS at 127.0.0.1 (any other
 * client settings, such as `mode: 'inline'`, as given), and the door's UDP port.
 */
export async function startRadiusTestServer(nas: TestNas): Promise<{ passgate: TestServer; port: number }> {
  const { secret, secretVariable, ...client } = nas;
  process.env[secretVariable] = secret;
  const passgate = await startTestServer({
    config: { radius: { enabled: true, host: '127.0.0.1', port: 0 } },
  });
  const port = await radiusClients(passgate, [
    { ...client, addresses: ['127.0.0.1'], secret: { env: secretVariable } },
  ]);
  return { passgate, port };
}
