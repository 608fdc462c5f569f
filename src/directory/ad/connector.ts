import { readFileSync } from 'node:fs';
import { Client, ResultCodeError } from 'ldapts';
import type { ActiveDirectoryConfig } from '../../config/directory-schema.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { DirectoryErrors } from '../errors.js';

/** How long a DC that did not answer is tried after the others. */
const UNREACHABLE_RETRY_MS = 30_000;

/**
 * Connections to the domain controllers. DCs are tried in configured order, and the next one
 * only when a DC cannot be reached (connection refused, timeout, TLS failure): an LDAP answer,
 * such as a refused password, is final and never repeated on another DC. The service account's
 * connection is kept open and shared by searches; each user bind gets a connection of its own,
 * always closed afterwards.
 */
export class AdConnector {
  private service?: Promise<Client>;
  /** DCs that did not answer, and until when they are tried last. */
  private readonly unreachableUntil = new Map<string, number>();
  private readonly tlsOptions: { ca?: Buffer; servername?: string };

  constructor(
    private readonly config: ActiveDirectoryConfig,
    private readonly bindPassword: string,
    private readonly logger: Logger,
  ) {
    this.tlsOptions = config.caFile ? { ca: readFileSync(config.caFile) } : {};
  }

  /** Runs searches as the service account; reconnects (and fails over) once if the connection broke. */
  async asService<T>(work: (client: Client) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const pending = this.serviceClient();
      const client = await pending;
      try {
        // A DC that restarted or closed an idle connection: ldapts would connect again, unbound.
        if (!client.isBound) throw new Error('the service connection was closed by the DC');
        return await work(client);
      } catch (error) {
        if (!isTransportError(error) || attempt > 0) throw translate(error);
        this.dropService(pending, client);
      }
    }
  }

  /** Runs `work` on a fresh connection of its own (a user bind), unbound whatever happens. */
  async fresh<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await work(client);
    } finally {
      await client.unbind().catch(() => {});
    }
  }

  /** Closes the shared service connection. */
  async close(): Promise<void> {
    const service = this.service;
    this.service = undefined;
    if (service) await (await service.catch(() => undefined))?.unbind().catch(() => {});
  }

  private serviceClient(): Promise<Client> {
    this.service ??= this.connect().then(async (client) => {
      try {
        await client.bind(this.config.bindDn, this.bindPassword);
        return client;
      } catch (error) {
        await client.unbind().catch(() => {});
        throw translate(error, 'the service account could not bind');
      }
    });
    const current = this.service;
    current.catch(() => {
      if (this.service === current) this.service = undefined;
    });
    return current;
  }

  /** Forgets a broken service connection, unless a concurrent search has already replaced it. */
  private dropService(pending: Promise<Client>, client: Client): void {
    if (this.service === pending) this.service = undefined;
    void client.unbind().catch(() => {});
  }

  /**
   * A connected (not yet bound) client on the first DC that answers. A DC that did not answer
   * goes last for a while, so that sign-ins do not wait for its timeout one after the other.
   */
  private async connect(): Promise<Client> {
    const problems: string[] = [];
    const now = Date.now();
    const resting = (url: string) => (this.unreachableUntil.get(url) ?? 0) > now;
    const urls = [...this.config.urls].sort((a, b) => Number(resting(a)) - Number(resting(b)));
    for (const url of urls) {
      const ldaps = url.startsWith('ldaps://');
      const client = new Client({
        url,
        timeout: this.config.timeoutSeconds * 1000,
        connectTimeout: this.config.timeoutSeconds * 1000,
        // TLS options make ldapts speak TLS at once, even on ldap://: StartTLS gets them below.
        ...(ldaps ? { tlsOptions: this.tlsOptions } : {}),
        strictDN: false,
      });
      try {
        // A copy: ldapts stores the upgraded socket in the options it is given.
        if (!ldaps && this.config.startTls) await client.startTLS({ ...this.tlsOptions });
        // ldapts connects lazily; a harmless root-DSE read proves the DC answers before we use it.
        await client.search('', { scope: 'base', attributes: ['defaultNamingContext'] });
        this.unreachableUntil.delete(url);
        return client;
      } catch (error) {
        await client.unbind().catch(() => {});
        this.unreachableUntil.set(url, Date.now() + UNREACHABLE_RETRY_MS);
        problems.push(`${url}: ${describeError(error)}`);
        this.logger.warn(
          { url, error: describeError(error) },
          'domain controller unreachable, trying the next one',
        );
      }
    }
    throw DirectoryErrors.DIRECTORY_UNAVAILABLE({
      detail: `no domain controller answered (${problems.join('; ')})`,
    });
  }
}

/** True for failures of the connection itself, as opposed to an LDAP result. */
export function isTransportError(error: unknown): boolean {
  return !(error instanceof ResultCodeError) && !DirectoryErrors.is(error);
}

function translate(error: unknown, context = 'the directory failed') {
  if (DirectoryErrors.is(error)) return error;
  if (isTransportError(error)) {
    return DirectoryErrors.DIRECTORY_UNAVAILABLE({
      detail: `${context}: ${describeError(error)}`,
      cause: error,
    });
  }
  return error;
}
