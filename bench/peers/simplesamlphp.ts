import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { send } from '../http.js';
import { samlSignIn, verifySamlResponse } from '../journeys/saml.js';
import { runScript, waitUntil } from './install.js';
import type { Peer } from './peer.js';

const BASE = 'http://127.0.0.1:8081/simplesaml';
const IDP = {
  ssoUrl: `${BASE}/saml2/idp/SSOService.php`,
  issuer: `${BASE}/saml2/idp/metadata.php`,
};

/**
 * SimpleSAMLphp 1.19 from Debian (nginx + PHP-FPM, 8 workers, exampleauth user/password) as the
 * SAML peer: the folder's own configuration, a fresh RSA-2048 key, Response and Assertion signed.
 */
export const simpleSamlPhp: Peer = {
  id: 'simplesamlphp',
  name: 'SimpleSAMLphp 1.19',
  packages: [
    'nginx',
    'php8.2-fpm',
    'php8.2-cli',
    'php8.2-xml',
    'php8.2-mbstring',
    'php8.2-curl',
    'simplesamlphp',
  ],
  journeys: ['journey-saml'],
  async start(peersDir) {
    const dir = path.join(peersDir, 'simplesamlphp');
    for (const sub of ['cert', 'log', 'data', 'tmp', 'sessions'])
      mkdirSync(path.join(dir, sub), { recursive: true });
    execFileSync('chown', ['-R', 'www-data:', 'log', 'data', 'tmp', 'sessions'], { cwd: dir });
    writeFileSync(
      path.join(dir, 'config', 'config.php'),
      readFileSync('/etc/simplesamlphp/config.php', 'utf8') +
        readFileSync(path.join(dir, 'config', 'config-overrides.php'), 'utf8'),
    );
    const key = path.join(dir, 'cert', 'server.pem');
    const certificate = path.join(dir, 'cert', 'server.crt');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '30',
        '-subj',
        '/CN=ssp',
        '-keyout',
        key,
        '-out',
        certificate,
      ],
      { stdio: 'ignore' },
    );
    execFileSync('chmod', ['644', key, certificate]);
    runScript(dir, 'start.sh');
    const stop = async () => void runScript(dir, 'stop.sh');
    try {
      await waitUntil('SimpleSAMLphp', async () => (await send(IDP.issuer)).status === 200);
    } catch (error) {
      await stop();
      throw error;
    }
    const certificatePem = readFileSync(certificate, 'utf8');
    return {
      pids: () => ['php-fpm.pid', 'nginx.pid'].map((f) => Number(readFileSync(path.join(dir, f), 'utf8'))),
      prepare: async (_journey, count) =>
        Array.from({ length: count }, () => {
          let verified = false;
          return {
            op: async (steps) => {
              const xml = await samlSignIn(IDP, 'bench', 'benchpass', steps);
              if (!verified) await verifySamlResponse(xml, { issuer: IDP.issuer, certificatePem });
              verified = true;
            },
          };
        }),
      stop,
    };
  },
};
