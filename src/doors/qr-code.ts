/** The QR code library, loaded on the first enrolment rather than with every server start. */
let qrCodes: Promise<typeof import('qrcode')> | undefined;

/**
 * A QR code of an otpauth:// URI as a `data:` PNG for an `<img>` (the Content-Security-Policy
 * allows data: images; no script draws it, so it works without JavaScript). Medium error
 * correction and a quiet zone, as phone cameras read best.
 */
export async function qrCodeDataUrl(text: string): Promise<string> {
  qrCodes ??= import('qrcode');
  return (await qrCodes).toDataURL(text, { errorCorrectionLevel: 'M', margin: 4, scale: 6 });
}
