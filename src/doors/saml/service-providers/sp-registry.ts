import type { Logger } from '../../../observability/logger.js';
import { type FolderWatch, watchMetadataFolder } from '../../metadata-watcher.js';
import type { GenericDefaults } from './profiles.js';
import type { ServiceProvider } from './service-provider.js';
import { loadServiceProviders, type SpFileProblem } from './sp-files.js';

/** The registered SPs, by entity ID and by name; replaced as a whole on every reload. */
export class SpRegistry {
  private byEntity = new Map<string, ServiceProvider>();
  private byName = new Map<string, ServiceProvider>();
  private watcher: FolderWatch | undefined;
  private lastProblems: SpFileProblem[] = [];

  constructor(
    private readonly folder: string,
    private readonly logger: Logger,
    private readonly generic: GenericDefaults,
  ) {}

  /** Re-reads the folder; logs each broken file with its reason and keeps the good ones. */
  reload(): { providers: string[]; problems: SpFileProblem[] } {
    const { providers, problems } = loadServiceProviders(this.folder, this.generic);
    for (const problem of problems)
      this.logger.error({ file: problem.file, reason: problem.reason }, 'SAML service provider ignored');
    this.byEntity = new Map(providers.map((sp) => [sp.entityId, sp]));
    this.byName = new Map(providers.map((sp) => [sp.name, sp]));
    this.lastProblems = problems;
    const names = providers.map((sp) => sp.name);
    this.logger.info({ providers: names }, 'SAML service providers loaded');
    return { providers: names, problems };
  }

  /** The SP with this entity ID (the Issuer of its requests). */
  byEntityId(entityId: string): ServiceProvider | undefined {
    return this.byEntity.get(entityId);
  }

  /** The SP of `metadata/saml/NAME.*` (IdP-initiated SSO names it). */
  named(name: string): ServiceProvider | undefined {
    return this.byName.get(name);
  }

  /** The files the last reload kept out, with the reasons. */
  problems(): SpFileProblem[] {
    return this.lastProblems;
  }

  /** The folder the SPs are read from. */
  get path(): string {
    return this.folder;
  }

  /** The defaults of generic SPs (`saml.generic`) the loader applies. */
  get genericDefaults(): GenericDefaults {
    return this.generic;
  }

  /** Every registered SP. */
  all(): ServiceProvider[] {
    return [...this.byName.values()];
  }

  /** Reloads after changes in the folder (see {@link watchMetadataFolder}). */
  watch(debounceMs = 300): void {
    this.watcher ??= watchMetadataFolder(this.folder, () => this.reload(), {
      logger: this.logger,
      name: 'metadata/saml',
      debounceMs,
    });
  }

  /** Stops watching the folder. */
  unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
