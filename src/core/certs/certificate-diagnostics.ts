import { inspectCertificate, type CertificateDetails } from './inspect';
import { findCertificateBlocks, type CertificateBlock } from './pem-blocks';
import { validitySpan } from './certificate-hover';

// Problems with the certificates in any open document: expired, not yet valid, expiring soon, damaged.
// Not cached by document text: all findings of a 25-certificate bundle take ~0.6 ms (bench/hover.ts), the
// inspection inside is already cached by DER (inspect.ts), and the diagnostics run after an edit, when the
// text is new and a text-keyed cache would miss anyway.

export interface CertificateFinding {
  start: number;
  end: number;
  severity: 'error' | 'warning' | 'information';
  code: 'expired' | 'not-yet-valid' | 'expires-soon' | 'corrupt-block';
  message: string;
}

export interface CertificateFindingOptions {
  /** Warn when a certificate expires within this many days; 0 turns the warning off. */
  expiryWarningDays: number;
}

const day = 86_400_000;
const maxSubjectLength = 120;

/** inspectCertificate for a block: its details, or what is wrong with it (never throws). */
export function inspectCertificateBlock(block: CertificateBlock, now: Date = new Date()): { details: CertificateDetails } | { problem: string } {
  if (block.der === null) return { problem: block.problem ?? 'it is damaged' };
  try {
    return { details: inspectCertificate(block.der, now) };
  } catch {
    return { problem: 'it decodes, but is not a valid X.509 certificate' };
  }
}

function name(subject: string): string {
  if (subject.length === 0) return '(empty subject)';
  return subject.length > maxSubjectLength ? `${subject.slice(0, maxSubjectLength)}…` : subject;
}

/** One finding per certificate block that is damaged, expired, not yet valid, or expiring within the warning window. */
export function certificateFindings(text: string, now: Date, options: CertificateFindingOptions): CertificateFinding[] {
  const findings: CertificateFinding[] = [];
  for (const block of findCertificateBlocks(text)) {
    const at = { start: block.start, end: block.end };
    const inspected = inspectCertificateBlock(block, now);
    if ('problem' in inspected) {
      findings.push({ ...at, severity: 'error', code: 'corrupt-block', message: `Damaged certificate block: ${inspected.problem}` });
      continue;
    }
    const { details } = inspected;
    const who = `Certificate ${name(details.subject)}`;
    const span = validitySpan(details.validity);
    if (details.validity.state === 'expired') {
      findings.push({ ...at, severity: 'error', code: 'expired', message: `${who} expired on ${details.notAfter.slice(0, 10)} (${span} ago)` });
    } else if (details.validity.state === 'not-yet-valid') {
      findings.push({ ...at, severity: 'warning', code: 'not-yet-valid', message: `${who} is not valid until ${details.notBefore.slice(0, 10)} (another ${span})` });
    } else if (options.expiryWarningDays > 0 && Date.parse(details.notAfter) - now.getTime() <= options.expiryWarningDays * day) {
      findings.push({ ...at, severity: 'warning', code: 'expires-soon', message: `${who} expires on ${details.notAfter.slice(0, 10)} (in ${span})` });
    }
  }
  return findings;
}
