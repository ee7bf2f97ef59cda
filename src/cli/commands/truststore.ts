import { TrustStoreFileError, lintTrustStoreFile } from '../../core/certs/truststore-lint';
import { formatTrustStoreReport } from '../../core/report/certificate-text';
import { BadArgumentError } from '../errors';
import { trustStoreSyntax, type lintOptions } from '../definitions/truststore';
import type { CommandRunner } from '../shell';

// `mtls-probe truststore lint FILE`: a CA bundle checked against AWS ALB's trust-store rules. Its words, help and
// options: definitions/truststore.ts.

export const lintRunner: CommandRunner<typeof lintOptions> = {
  inputErrors: [TrustStoreFileError],
  async run(values, files, { io }) {
    if (files.length !== 1) throw new BadArgumentError(`truststore lint takes exactly one FILE (got ${files.length}); ${trustStoreSyntax}`);
    const report = await lintTrustStoreFile(files[0]!);
    io.out(values.json ? `${JSON.stringify(report)}\n` : formatTrustStoreReport(report));
    return report.errorCount > 0 ? 1 : 0;
  },
};
