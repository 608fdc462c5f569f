import { SamlErrors } from '../errors.js';
import type { MessageDocument } from '../messages/message-document.js';
import { readRequestRoot, SAMLP } from '../messages/message-fields.js';
import {
  type IncomingRequest,
  type RequestMessage,
  readRequestMessage,
  redirectOctetString,
} from '../messages/request-message.js';
import type { SamlSchema } from '../messages/schema-validator.js';
import type { ServiceProvider } from '../service-providers/service-provider.js';
import type { IdpInstances } from '../signing/identity.js';

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

/** A LogoutResponse as read off its binding, before it is checked against the chain that awaits it. */
export interface ArrivedLogoutResponse {
  message: RequestMessage;
  incoming: IncomingRequest;
}

/**
 * Reads and checks the LogoutResponses SPs send back during a single logout chain: each binding
 * parameter once, DOCTYPE refused (the parser resolves no entities), the schema, the issuer, the
 * InResponseTo of the request Passgate sent, the Destination, the signature with the SP's
 * metadata certificate (required when its metadata has one), and the status.
 */
export class LogoutResponseReader {
  constructor(
    private readonly idps: IdpInstances,
    private readonly schema: Pick<SamlSchema, 'parse'>,
    private readonly sloUrl: string,
  ) {}

  /** The response's XML and RelayState (the chain's handle); SAML_REQUEST_MALFORMED when unreadable. */
  arrived(incoming: IncomingRequest): ArrivedLogoutResponse {
    return { incoming, message: readRequestMessage(incoming, 'SAMLResponse') };
  }

  /** Whether the SP answered the request `requestId` with Success; a SamlErrors error when the message is not valid. */
  async succeeded(arrived: ArrivedLogoutResponse, sp: ServiceProvider, requestId: string): Promise<boolean> {
    const document = this.schema.parse(arrived.message.xml);
    try {
      return await this.check(document, arrived, sp, requestId);
    } finally {
      document.dispose();
    }
  }

  /** The checks of {@link succeeded} on the message parsed once. */
  private async check(
    document: MessageDocument,
    { message, incoming }: ArrivedLogoutResponse,
    sp: ServiceProvider,
    requestId: string,
  ): Promise<boolean> {
    const root = document.root;
    const fields = readRequestRoot(root, 'LogoutResponse');
    if (fields.issuer !== sp.entityId) {
      throw SamlErrors.SAML_UNKNOWN_SP({
        detail: `LogoutResponse from ${fields.issuer}, awaited ${sp.entityId}`,
      });
    }
    if (root.getAttribute('InResponseTo') !== requestId) {
      throw SamlErrors.SAML_REQUEST_MALFORMED({
        detail: `${sp.name}: LogoutResponse answers another request`,
      });
    }
    if (fields.destination !== undefined && fields.destination !== this.sloUrl) {
      throw SamlErrors.SAML_DESTINATION_MISMATCH({
        detail: `LogoutResponse Destination ${fields.destination}`,
      });
    }
    document.validate();
    const signed = incoming.binding === 'redirect' ? message.querySigned : fields.signed;
    if (sp.hasSigningCertificate && !signed) {
      throw SamlErrors.SAML_SIGNATURE_REQUIRED({ detail: `${sp.name}: unsigned LogoutResponse` });
    }
    const status = root.child('Status', SAMLP)?.child('StatusCode', SAMLP)?.getAttribute('Value');
    if (signed) await this.verify(incoming, sp, status === SUCCESS);
    return status === SUCCESS;
  }

  /** The signature, by samlify's parse (which also refuses a non-Success status: that is not an invalid signature). */
  private async verify(incoming: IncomingRequest, sp: ServiceProvider, success: boolean): Promise<void> {
    if (!success) return;
    const idp = this.idps.get({
      issuer: 'urn:passgate:verifier',
      algorithm: 'sha256',
      encrypt: false,
      verifyRequests: false,
      verifyLogoutResponses: true,
    });
    const request =
      incoming.binding === 'redirect'
        ? { query: incoming.query, octetString: redirectOctetString(incoming.rawQuery, 'SAMLResponse') }
        : { body: incoming.body };
    try {
      await idp.parseLogoutResponse(sp.samlify, incoming.binding, request);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      throw SamlErrors.SAML_SIGNATURE_INVALID({
        detail: `${sp.name}: LogoutResponse: ${text}`,
        cause: error,
      });
    }
  }
}
