import { defineErrors } from '../../errors.js';

/**
 * The SAML door's error codes. Codes are stable (tests, logs and error pages key on them); the
 * detail of each raise goes to the log only.
 */
export const SamlErrors = defineErrors({
  SAML_REQUEST_MALFORMED: { status: 400, publicMessage: 'The sign-in request is not a valid SAML request.' },
  SAML_PARAMETER_REPEATED: {
    status: 400,
    publicMessage: 'The sign-in request carries one of its parameters more than once, so it is refused.',
  },
  SAML_DTD_FORBIDDEN: {
    status: 400,
    publicMessage: 'The sign-in request contains a document type declaration, which is not allowed.',
  },
  SAML_UNKNOWN_SP: {
    status: 403,
    publicMessage: 'The application that sent this sign-in request is not registered.',
  },
  SAML_SIGNATURE_REQUIRED: { status: 403, publicMessage: 'The sign-in request must be signed.' },
  SAML_SIGNATURE_INVALID: {
    status: 403,
    publicMessage: 'The signature of the sign-in request is not valid.',
  },
  SAML_DESTINATION_MISMATCH: {
    status: 400,
    publicMessage: 'The sign-in request was sent to another address.',
  },
  SAML_REQUEST_EXPIRED: {
    status: 400,
    publicMessage: 'The sign-in request has expired. Please start again.',
  },
  SAML_REQUEST_REPLAYED: {
    status: 400,
    publicMessage: 'This sign-in request was already used. Please start again.',
  },
  SAML_ACS_NOT_ALLOWED: {
    status: 400,
    publicMessage: 'The sign-in request names a return address the application has not registered.',
  },
  SAML_BINDING_UNSUPPORTED: {
    status: 400,
    publicMessage: 'The application asked for an unsupported SAML binding.',
  },
  SAML_NAMEID_UNAVAILABLE: {
    status: 403,
    publicMessage:
      'Your account lacks the identifier this application needs. Please contact your administrator.',
  },
  SAML_IDP_INIT_NOT_ALLOWED: {
    status: 403,
    publicMessage: 'This application does not accept sign-ins started here. Start at the application.',
  },
  SAML_FLOW_COMPLETED: {
    status: 400,
    publicMessage: 'This sign-in is already complete. Go back to the application and start again.',
  },
  SAML_NO_SIGNING_KEY: {
    status: 503,
    publicMessage: 'Sign-in is not available right now. Please try again later.',
  },
});
