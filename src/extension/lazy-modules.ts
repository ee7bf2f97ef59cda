// One place that loads the lazy bundles, so every caller shares the same promise (one require per session).
type ProbeEngine = typeof import('./lazy/probe-engine');
type CertificateTools = typeof import('./lazy/certificate-tools');
type PkiGenerator = typeof import('./lazy/pki-generator');
type EvidenceTools = typeof import('./lazy/evidence-tools');

let probeEngine: Promise<ProbeEngine> | undefined;
let certificateTools: Promise<CertificateTools> | undefined;

export function loadProbeEngine(): Promise<ProbeEngine> {
  probeEngine ??= import('./lazy/probe-engine');
  return probeEngine;
}

export function loadCertificateTools(): Promise<CertificateTools> {
  certificateTools ??= import('./lazy/certificate-tools');
  return certificateTools;
}

let pkiGenerator: Promise<PkiGenerator> | undefined;

export function loadPkiGenerator(): Promise<PkiGenerator> {
  pkiGenerator ??= import('./lazy/pki-generator');
  return pkiGenerator;
}

let evidenceTools: Promise<EvidenceTools> | undefined;

export function loadEvidenceTools(): Promise<EvidenceTools> {
  evidenceTools ??= import('./lazy/evidence-tools');
  return evidenceTools;
}

type LabTools = typeof import('./lazy/lab-tools');
let labTools: Promise<LabTools> | undefined;

export function loadLabTools(): Promise<LabTools> {
  labTools ??= import('./lazy/lab-tools');
  return labTools;
}
