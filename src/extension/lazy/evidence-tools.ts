// Loaded when a run has evidence to describe (its own bundle, dist/evidence-tools.js): the evidence wording. The log
// readers load with the first evidence collected (dist/collect.js), the AWS source only for `aws` settings.
export { evidenceText, runEvidenceLines } from '../../core/runs/run-text';
