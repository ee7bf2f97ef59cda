// Loaded when the local lab starts (its own bundle, dist/lab-tools.js): the lab's listener, WAF and log writers, and
// the PKI generator it makes its certificates with.
export { startLab } from '../../core/lab/lab';
