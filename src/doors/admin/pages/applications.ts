import { describeError } from '../../../errors.js';
import type { ApplicationCatalogue } from '../../applications.js';
import { AdminErrors } from '../errors.js';
import { checkApplicationName, MetadataWriteRefused, writeMetadataFiles } from '../metadata-writer.js';
import type { AdminPage, AdminRequest } from '../page.js';
import { allows } from '../permissions.js';
import { formField, uploadedFile } from '../upload.js';

/** SP metadata and client files are small; anything larger is refused before it is parsed. */
const MAX_UPLOAD_BYTES = 1024 * 1024;
const PROFILES = ['generic', 'office365', 'google', 'salesforce'] as const;

/** What an upload ended with, for the page. */
type Outcome =
  | { written: { kind: string; name: string; files: string[] } }
  | { error: string; detail?: string };

/**
 * Applications (administrators; auditors read): the SAML service providers and OIDC clients of
 * `metadata/` as their doors last loaded them (or the reason a file was kept out), the values a
 * vendor asks for, the IdP certificate, and the upload of a new SP or client: checked by the
 * door's own loader, then written atomically into the door's folder (live at the next reload).
 */
export const applicationsPage: AdminPage = {
  nav: {
    id: 'applications',
    label: 'admin:nav.applications',
    path: '/admin/applications',
    permission: 'applications.read',
    order: 80,
  },
  routes: [
    {
      method: 'get',
      path: '/admin/applications',
      permission: 'applications.read',
      async handle(request) {
        await show(request);
      },
    },
    {
      method: 'get',
      path: '/admin/applications/:kind/download/:name',
      permission: 'applications.read',
      async handle({ req, res, site }) {
        const catalogue = catalogueOf(await site.context.applications(), String(req.params.kind));
        const file = catalogue?.download?.(String(req.params.name));
        if (!file) throw AdminErrors.ADMIN_NOT_FOUND();
        res.type(file.type).attachment(file.filename).send(file.body);
      },
    },
    {
      method: 'post',
      path: '/admin/applications/upload',
      permission: 'applications.write',
      upload: { maxBytes: MAX_UPLOAD_BYTES },
      async handle(request) {
        const { req, admin, site } = request;
        const kind = formField(req, 'kind');
        const catalogue = catalogueOf(await site.context.applications(), kind);
        if (!catalogue) return show(request, { error: 'admin:applications.refused.kind' }, 400);
        const main = uploadedFile(req, 'file');
        if (!main) return show(request, { error: 'admin:applications.refused.noFile' }, 400);
        const settingsFile = uploadedFile(req, 'settings');
        const profile = formField(req, 'profile');
        const settings = settingsFile
          ? settingsFile.bytes.toString('utf8')
          : (PROFILES as readonly string[]).includes(profile)
            ? `profile: ${profile}\n`
            : undefined;
        const replace = formField(req, 'replace') === 'on';
        let files: Record<string, string>;
        let name: string;
        try {
          name = checkApplicationName(formField(req, 'name').trim());
          files = await catalogue.check({
            name,
            main: main.bytes.toString('utf8'),
            ...(kind === 'saml' && settings ? { settings } : {}),
          });
          await writeMetadataFiles(catalogue.folder, files, replace);
        } catch (error) {
          if (error instanceof MetadataWriteRefused)
            return show(
              request,
              { error: `admin:applications.refused.${error.reason}`, detail: error.message },
              400,
            );
          if (isWriteFailure(error)) throw error;
          return show(
            request,
            { error: 'admin:applications.refused.invalid', detail: describeError(error) },
            400,
          );
        }
        await site.auditChange(
          admin,
          'admin.application.upload',
          null,
          { kind, name, files: Object.keys(files), replace, bytes: main.bytes.length },
          req.ip,
        );
        await show(request, { written: { kind, name, files: Object.keys(files) } });
      },
    },
  ],
};

function catalogueOf(catalogues: ApplicationCatalogue[], kind: string): ApplicationCatalogue | undefined {
  return catalogues.find((c) => c.kind === kind);
}

/** A failure of the disk (permissions, space) rather than of the upload: a server error. */
function isWriteFailure(error: unknown): boolean {
  return typeof (error as NodeJS.ErrnoException)?.syscall === 'string';
}

async function show({ render, site, admin }: AdminRequest, outcome?: Outcome, status = 200): Promise<void> {
  const catalogues = (await site.context.applications()).map((catalogue) => ({
    kind: catalogue.kind,
    applications: catalogue.list(),
    downloads: catalogue.download?.('idp-certificate') ? ['idp-certificate'] : [],
  }));
  await render(
    'applications',
    { catalogues, outcome, profiles: PROFILES, canUpload: allows(admin.role, 'applications.write') },
    status,
  );
}
