// Loaded on the first hover, diagnostic or toolkit command (its own bundle, dist/certificate-tools.js): the ASN.1
// and X.509 libraries stay out of activation.
export { inspectCertificate, inspectFile } from '../../core/certs/inspect';
export { parseCryptoText, readCryptoFile } from '../../core/certs/crypto-file';
export { certificateHoverMarkdown, certificateProblemSummary, escapeMarkdown } from '../../core/certs/certificate-hover';
export { certificateFindings } from '../../core/certs/certificate-diagnostics';
export { WorkspaceCertificateIndex } from '../../core/certs/workspace-certificates';
export { findIdentityPairs } from '../../core/certs/pairs';
export { lintTrustStoreFile } from '../../core/certs/truststore-lint';
export { formatFileInspection, formatTrustStoreReport } from '../../core/report/certificate-text';
