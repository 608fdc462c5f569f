/**
 * The one WBXML document the door writes itself: a command's answer carrying only a top-level
 * `Status` (`<FolderSync xmlns="FolderHierarchy:"><Status>129</Status></FolderSync>`). No npm
 * package encodes ActiveSync WBXML, so this is a fixed table of the few tokens it needs (MS-ASWBXML
 * code pages; the tests decode every answer with libwbxml's `wbxml2xml -l ACTIVESYNC`).
 */

/** Per command: its code page, the token of its element and of that page's `Status`. */
const STATUS_DOCUMENTS: Readonly<Record<string, { page: number; element: number; status: number }>> = {
  Sync: { page: 0x00, element: 0x05, status: 0x0e }, // AirSync
  SendMail: { page: 0x15, element: 0x05, status: 0x12 }, // ComposeMail
  SmartForward: { page: 0x15, element: 0x06, status: 0x12 },
  SmartReply: { page: 0x15, element: 0x07, status: 0x12 },
  MoveItems: { page: 0x05, element: 0x05, status: 0x0b }, // Move
  GetItemEstimate: { page: 0x06, element: 0x05, status: 0x0e },
  FolderCreate: { page: 0x07, element: 0x13, status: 0x0c }, // FolderHierarchy
  FolderDelete: { page: 0x07, element: 0x14, status: 0x0c },
  FolderUpdate: { page: 0x07, element: 0x15, status: 0x0c },
  FolderSync: { page: 0x07, element: 0x16, status: 0x0c },
  MeetingResponse: { page: 0x08, element: 0x07, status: 0x0b },
  ResolveRecipients: { page: 0x0a, element: 0x05, status: 0x07 },
  ValidateCert: { page: 0x0b, element: 0x05, status: 0x0a },
  Ping: { page: 0x0d, element: 0x05, status: 0x07 },
  Provision: { page: 0x0e, element: 0x05, status: 0x0b },
  Search: { page: 0x0f, element: 0x05, status: 0x0c },
  Settings: { page: 0x12, element: 0x05, status: 0x06 },
  ItemOperations: { page: 0x14, element: 0x05, status: 0x0d },
};

/** WBXML 1.3, public id 1 (unknown), charset UTF-8 (MIBenum 106), empty string table. */
const HEADER = [0x03, 0x01, 0x6a, 0x00];
const SWITCH_PAGE = 0x00;
const END = 0x01;
const STR_I = 0x03;
/** The bit of a tag token saying that the element has content. */
const WITH_CONTENT = 0x40;

/** Whether the door can answer `command` with a WBXML status document. */
export function hasStatusDocument(command: string | undefined): command is string {
  return command !== undefined && Object.hasOwn(STATUS_DOCUMENTS, command);
}

/** The WBXML answer of `command` carrying only `<Status>status</Status>`. */
export function statusDocument(command: string, status: number): Buffer {
  const document = STATUS_DOCUMENTS[command];
  if (!document) throw new Error(`no WBXML status document for ${command}`);
  return Buffer.from([
    ...HEADER,
    ...(document.page === 0 ? [] : [SWITCH_PAGE, document.page]),
    WITH_CONTENT | document.element,
    WITH_CONTENT | document.status,
    STR_I,
    ...Buffer.from(String(status), 'utf8'),
    0x00,
    END,
    END,
  ]);
}
