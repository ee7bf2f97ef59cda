// Loaded by "Generate Test PKI" only (its own bundle, dist/pki-generator.js): certificate issuing needs
// @peculiar/x509 with its dependency-injection runtime, which nothing else in the extension uses.
export { generatePki } from '../../core/pki/generate-pki';
export { formatGeneratedPki } from '../../core/report/certificate-text';
