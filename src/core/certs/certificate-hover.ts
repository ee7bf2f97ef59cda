import type { CertificateDetails } from './inspect';
import type { CertificateBlock } from './pem-blocks';

// The certificate hover's text: what someone looking at PEM in a config file wants to know at a glance
// (whose certificate, valid now, usable as a client certificate, its key and issuer at hand). Every value
// from the certificate is escaped: a subject is attacker-controlled text and must never become markup,
// a link or HTML. The editor adds its own command links around this.

export interface CertificateHoverContext {
  /** undefined: not known (no workspace index yet); null: no private key for it in the workspace. */
  matchingKey?: { file: string } | null;
  /** undefined: not known; null: no CA certificate in the workspace issued it. */
  issuer?: { file: string; subject: string } | null;
  /** Overrides the certificate's own selfSigned (the signature verifies with its own key). */
  selfSigned?: boolean;
  /** How to show a file: relative to the workspace, typically. */
  workspaceRelative?(file: string): string;
}

// Characters that would reorder or hide text (C0/C1 controls, bidi overrides): shown as \uXXXX instead.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const invisible = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
// All ASCII punctuation, which CommonMark lets a backslash escape: no emphasis, link, autolink, HTML, entity or icon survives.
const markdownPunctuation = /[!-/:-@[-`{-~]/g;
const maxNamesShown = 8;

function visible(text: string): string {
  return text.replace(invisible, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `text` as literal Markdown text. */
export function escapeMarkdown(text: string): string {
  return visible(text).replace(markdownPunctuation, '\\$&');
}

/** `text` as a code span, fenced with more backticks than it contains. */
function code(text: string): string {
  const value = visible(text);
  const longestRun = Math.max(0, ...(value.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${value}${pad}${fence}`;
}

function utc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** The span in a validity's wording: "3 days" from "expired 3 days ago", "2 days" from "not yet valid (starts in 2 days)". */
export function validitySpan(validity: CertificateDetails['validity']): string {
  const match = /^expired (.+) ago$/.exec(validity.relative) ?? /starts in (.+)\)$/.exec(validity.relative) ?? /^expires in (.+)$/.exec(validity.relative);
  return match?.[1] ?? validity.relative;
}

/** "expires in 23 days", "expired 3 days ago", "not valid for another 2 days". */
export function validityWording(validity: CertificateDetails['validity']): string {
  return validity.state === 'not-yet-valid' ? `not valid for another ${validitySpan(validity)}` : validity.relative;
}

function keyDescription(details: CertificateDetails): string {
  if (details.curve !== undefined) return `${details.keyType} ${details.curve}`;
  if (details.keySize !== undefined) return `${details.keyType} ${details.keySize}`;
  return details.keyType;
}

function clientAuthLine(details: CertificateDetails): string | null {
  const eku = details.extendedKeyUsage;
  const listed = eku.map(escapeMarkdown).join(', ');
  const ca = details.basicConstraints?.ca === true;
  if (ca) return eku.length > 0 ? `**Extended key usage** ${listed}` : null;
  if (eku.length > 0 && !eku.includes('clientAuth') && !eku.includes('anyExtendedKeyUsage')) {
    return `**Extended key usage** ${listed}: **no clientAuth**, so TLS servers refuse it as a client certificate`;
  }
  const usage = eku.length > 0 ? listed : 'none (any purpose, client authentication included)';
  if (!details.clientAuth) {
    return `**Extended key usage** ${usage}; but its key usage allows neither digitalSignature nor keyAgreement, so TLS servers refuse it as a client certificate`;
  }
  return `**Extended key usage** ${usage}${eku.includes('clientAuth') ? ': usable as a TLS client certificate' : ''}`;
}

function fingerprint(sha256: string): string {
  return (sha256.toUpperCase().match(/../g) ?? []).join(':');
}

/** A compact Markdown summary of a certificate, for the editor hover. No links: the editor adds its own. */
export function certificateHoverMarkdown(details: CertificateDetails, context: CertificateHoverContext = {}): string {
  const show = (file: string): string => code(context.workspaceRelative?.(file) ?? file);
  const selfSigned = context.selfSigned ?? details.selfSigned;
  const lines: string[] = [];
  lines.push(`**Certificate** ${details.subject.length > 0 ? escapeMarkdown(details.subject) : '(empty subject)'}`);
  lines.push(`**Issuer** ${selfSigned ? 'itself (self-signed)' : escapeMarkdown(details.issuer)}`);

  const wording = validityWording(details.validity);
  const state = details.validity.state === 'valid' ? wording : `**${wording}**`;
  lines.push(`**Validity** ${state} (${utc(details.notBefore)} to ${utc(details.notAfter)})`);

  const names = details.subjectAltNames;
  if (names.length > 0) {
    const shown = names.slice(0, maxNamesShown).map(escapeMarkdown).join(', ');
    lines.push(`**Names** ${shown}${names.length > maxNamesShown ? ` and ${names.length - maxNamesShown} more` : ''}`);
  }
  const usage = clientAuthLine(details);
  if (usage !== null) lines.push(usage);
  if (details.keyUsage.length > 0) lines.push(`**Key usage** ${details.keyUsage.map(escapeMarkdown).join(', ')}`);
  lines.push(`**Key** ${escapeMarkdown(keyDescription(details))}, signed with ${escapeMarkdown(details.signatureAlgorithm)}`);
  const basic = details.basicConstraints;
  lines.push(`**CA** ${basic?.ca ? `yes${basic.pathLength !== undefined ? `, path length ${basic.pathLength}` : ''}` : 'no'}`);
  lines.push(`**Serial** ${code(details.serialNumber)}`);
  lines.push(`**SHA-256** ${code(fingerprint(details.sha256))}`);

  const workspace: string[] = [];
  if (context.matchingKey !== undefined) {
    workspace.push(context.matchingKey === null ? '**Private key** not in the workspace' : `**Private key** ${show(context.matchingKey.file)}`);
  }
  if (context.issuer !== undefined && !(context.issuer === null && selfSigned)) {
    // Only what the index knows: the issuer's certificate is in a workspace file. Whether the chain reaches a root of
    // trust is Inspect Certificate's to say (a chain a client sends ends below the root).
    workspace.push(
      context.issuer === null
        ? '**Issuer certificate** not found in the workspace'
        : `**Issuer certificate** ${escapeMarkdown(context.issuer.subject)} found in the workspace (${show(context.issuer.file)})`,
    );
  }
  // Two trailing spaces: a hard line break, so the summary stays one compact paragraph.
  const summary = lines.join('  \n');
  return workspace.length > 0 ? `${summary}\n\n${workspace.join('  \n')}` : summary;
}

/**
 * What is wrong with a block that is not a readable certificate: `block.problem` for a damaged block; a
 * block that decodes but that inspectCertificate rejects has none, and is described as not a certificate.
 */
export function certificateProblemSummary(block: CertificateBlock): string {
  const problem = block.problem ?? 'it decodes, but is not a valid X.509 certificate';
  return `**Damaged certificate block:** ${escapeMarkdown(problem)}  \nCopy the certificate again, whole, from where it came from.`;
}
