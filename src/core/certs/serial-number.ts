// Certificate serial numbers as each writer spells them, taken to one form: the one place serials are normalised.
//   Node (X509Certificate.serialNumber)   0A1B2C…            byte by byte, uppercase, a DER sign byte 00 kept
//   ALB (connection log, X-Amzn-Mtls-*)   FEF257372D5C14D4   uppercase hex, no separators
//   CloudFront (connection log)           00:b1:43:ed:…      lowercase, colon-separated, the DER sign byte 00 kept
//   CloudFront (CloudFront-Viewer-Cert-Serial-Number)   4a:3f:…
//   API Gateway ($context.identity.clientCert.serialNumber in access logs)   a1:b2:…   lowercase, colon-separated
// Two serials are the same certificate's when their match keys are equal: logs and tools disagree on leading zeros.

/** ALB's form: uppercase hex, no separators, no DER sign-padding `00` bytes (a leading zero nibble stays: "0A1B"). */
export function albSerialForm(serial: string): string {
  return serial.replace(/[^0-9a-fA-F]/g, '').toUpperCase().replace(/^(00)+(?=.)/, '');
}

/** The form serials are compared in, whoever wrote them: ALB's form without any leading zero. */
export function serialMatchKey(serial: string): string {
  return albSerialForm(serial).replace(/^0+(?=.)/, '');
}

export function sameSerial(a: string, b: string): boolean {
  return serialMatchKey(a) === serialMatchKey(b);
}

/**
 * CloudFront's colon-separated lowercase form of a serial, e.g. `b1:43:ed`; with `signByte`, a leading `00` when the
 * top bit is set, as DER writes it and CloudFront's connection log shows it (`00:b1:43:ed`).
 */
export function colonSerialForm(serial: string, options: { signByte?: boolean } = {}): string {
  const hex = albSerialForm(serial).toLowerCase();
  const even = hex.length % 2 === 1 ? `0${hex}` : hex;
  const bytes = options.signByte === true && parseInt(even.slice(0, 2), 16) >= 0x80 ? `00${even}` : even;
  return bytes.match(/../g)?.join(':') ?? bytes;
}
