/**
 * One finding model for `portcullis scan` and `portcullis check`, and its three renderings: a table for
 * people, JSON for scripts, and SARIF 2.1.0 for code-scanning dashboards.
 */

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Rule {
  /** Stable id, e.g. `hardcoded-credential/portcullis-key`; never reused for another meaning. */
  readonly id: string;
  readonly severity: Severity;
  /** One line: what is wrong. */
  readonly title: string;
  /** Why it matters. */
  readonly explanation: string;
  /** What to do about it. */
  readonly fix: string;
}

export interface Finding {
  readonly rule: Rule;
  /** What was found here, in words (never a secret's value). */
  readonly message: string;
  /** A path relative to the scanned root (POSIX separators), when the finding has a place. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** A finding may be more or less severe than its rule's default (e.g. an advisory's own rating). */
  readonly severity?: Severity;
}

export function severityOf(finding: Finding): Severity {
  return finding.severity ?? finding.rule.severity;
}

export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}

export function parseSeverity(text: string, flag: string): Severity {
  const lower = text.toLowerCase();
  if ((SEVERITIES as readonly string[]).includes(lower)) return lower as Severity;
  throw new TypeError(`${flag} expects one of ${SEVERITIES.join(', ')} (got "${text}"), e.g. ${flag} high`);
}

/** Most severe first, then by place. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITIES.indexOf(severityOf(b)) - SEVERITIES.indexOf(severityOf(a)) ||
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      a.rule.id.localeCompare(b.rule.id),
  );
}

export function findingsToJson(findings: readonly Finding[]) {
  return sortFindings(findings).map((f) => ({
    ruleId: f.rule.id,
    severity: severityOf(f),
    title: f.rule.title,
    message: f.message,
    ...(f.file === undefined ? {} : { file: f.file }),
    ...(f.line === undefined ? {} : { line: f.line }),
    explanation: f.rule.explanation,
    fix: f.rule.fix,
  }));
}

/** A plain table: severity, place, rule and message, then the fix indented below. */
export function findingsToTable(findings: readonly Finding[], empty: string): string {
  if (findings.length === 0) return empty;
  const lines: string[] = [];
  for (const f of sortFindings(findings)) {
    const place = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : '-';
    lines.push(`${severityOf(f).toUpperCase().padEnd(8)} ${place}  [${f.rule.id}] ${f.message}`);
    lines.push(`         fix: ${f.rule.fix}`);
  }
  const counts = SEVERITIES.slice()
    .reverse()
    .map((s) => [s, findings.filter((f) => severityOf(f) === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  lines.push('', `${findings.length} finding(s): ${counts.join(', ')}`);
  return lines.join('\n');
}

const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note' };
/** GitHub code scanning reads `security-severity` (a CVSS-like score) to rank security results. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '2.0' };

/** SARIF 2.1.0 (OASIS): one run, the rules that fired, one result per finding with file and line. */
export function findingsToSarif(findings: readonly Finding[], tool: { name: string; version: string; informationUri: string }) {
  const sorted = sortFindings(findings);
  const rules = [...new Map(sorted.map((f) => [f.rule.id, f.rule])).values()];
  const index = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: tool.name,
            version: tool.version,
            informationUri: tool.informationUri,
            rules: rules.map((r) => ({
              id: r.id,
              shortDescription: { text: r.title },
              fullDescription: { text: r.explanation },
              help: { text: r.fix },
              defaultConfiguration: { level: SARIF_LEVEL[r.severity] },
              properties: { 'security-severity': SECURITY_SEVERITY[r.severity], tags: ['security'] },
            })),
          },
        },
        results: sorted.map((f) => ({
          ruleId: f.rule.id,
          ruleIndex: index.get(f.rule.id) as number,
          level: SARIF_LEVEL[severityOf(f)],
          message: { text: f.message },
          ...(f.file === undefined
            ? {}
            : {
                locations: [
                  {
                    physicalLocation: {
                      artifactLocation: { uri: encodeURI(f.file), uriBaseId: '%SRCROOT%' },
                      ...(f.line === undefined ? {} : { region: { startLine: f.line, ...(f.column ? { startColumn: f.column } : {}) } }),
                    },
                  },
                ],
              }),
        })),
      },
    ],
  };
}
