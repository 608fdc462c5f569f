type QrCodes = typeof import('qrcode');

/** The QR code library, loaded on the first enrolment rather than with every server start. */
let qrCodes: Promise<QrCodes> | undefined;

/**
 * The library's functions from its dynamic import: qrcode is CommonJS, so the bundle (esbuild)
 * gives them on the module's `default`, while Node's own loader also names them on the module.
 */
async function loadQrCodes(): Promise<QrCodes> {
  const module = (await import('qrcode')) as QrCodes & { default?: QrCodes };
  return module.default ?? module;
}

/**
 * A QR code of an otpauth:// URI as a `data:` PNG for an `<img>` (the Content-Security-Policy
 * allows data: images; no script draws it, so it works without JavaScript). Medium error
 * correction and a quiet zone, as phone cameras read best.
 */
export async function qrCodeDataUrl(text: string): Promise<string> {
  qrCodes ??= loadQrCodes();
  return (await qrCodes).toDataURL(text, { errorCorrectionLevel: 'M', margin: 4, scale: 6 });
}
