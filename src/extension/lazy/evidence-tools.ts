// Loaded after the first probe of an endpoint that names evidence (its own bundle, dist/evidence-tools.js): the
// log readers; the AWS source is a further bundle (dist/aws-evidence-source.js), loaded only for `aws` settings.
export { collectProbeEvidence } from '../../core/evidence/collect';
export { describeEvidence } from '../../core/evidence/correlate';
