// What the lab's managed-rule look-alikes look for: cross-site scripting and SQL injection in a request's query
// argument values and URI path. A handful of well-known shapes rather than AWS's own detection engines, chosen so
// that ordinary text that merely resembles them (`scripting`, `O'Brien`, `union members select`) passes.
// Each text is inspected as sent, URL-decoded once and twice (double encoding is the classic evasion), with HTML
// entities decoded, as the managed rules' text transformations do.

export interface PatternMatch {
  /** The decoded text the pattern matched. */
  matched: string;
  /** The match in tokens, the way AWS WAF logs matchedData (`["<", "script"]`, `["'", "or", "'", "1"]`). */
  matchedData: string[];
}

const xssPatterns: readonly RegExp[] = [
  /<\s*script\b/i,
  /\b(?:java|vb)script\s*:/i,
  // An element that loads or runs something: <img src=…>, <iframe srcdoc=…>, <svg onload=…>.
  /<\s*(?:img|image|svg|iframe|frame|frameset|embed|object|video|audio|source|body|input|link|math|details)\b[^<>]*?\b(?:src|href|data|srcdoc|formaction|background|on[a-z]{3,})\s*=/i,
  // An event handler inside any tag, or breaking out of an attribute value (`" onmouseover=`).
  /<[^<>]*\bon[a-z]{3,}\s*=/i,
  /["'`]\s*on(?:error|load|mouseover|mouseenter|focus|click|toggle|begin|animationstart|pointerover)\s*=/i,
  /\bdocument\s*\.\s*(?:cookie|domain|write)\b/i,
];

const sqlInjectionPatterns: readonly RegExp[] = [
  // Tautologies after a closing quote: ' or '1'='1, ' OR 1=1, ' and 'a' like 'a.
  /'\s*(?:or|and)\s+(?:'[^']*'|\d+)\s*(?:=|<>|!=|like\b)\s*(?:'[^']*|\d+)/i,
  /\b(?:or|and)\s+(\d+)\s*=\s*\1\b/i,
  /\bunion\s+(?:all\s+|distinct\s+)?select\b/i,
  /;\s*(?:drop|truncate|alter)\s+(?:table|database|schema)\b/i,
  /;\s*(?:delete\s+from|insert\s+into|update\s+\w+\s+set|shutdown|exec(?:ute)?\s+\w)/i,
  // A quote closed early and the rest of the statement commented out: admin'--, 1'#, x'/*.
  /'\s*(?:--|#|\/\*)/,
  /'\s*;\s*(?:select|drop|delete|insert|update)\b/i,
  /\b(?:sleep|pg_sleep|benchmark)\s*\(\s*\d/i,
  /\bwaitfor\s+delay\s+'/i,
];

const namedEntities: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&', colon: ':', lpar: '(', rpar: ')', sol: '/' };

function decodeEntities(text: string): string {
  return text.replace(/&(?:#x([0-9a-f]{1,6})|#(\d{1,7})|([a-z]+));?/gi, (entity: string, hex?: string, dec?: string, name?: string) => {
    const code = hex !== undefined ? parseInt(hex, 16) : dec !== undefined ? Number(dec) : undefined;
    if (code !== undefined) return code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    return namedEntities[name!.toLowerCase()] ?? entity;
  });
}

/** One round of URL decoding that never throws: %XX runs as UTF-8, %uXXXX as a code unit; a stray % stays. */
function urlDecode(text: string): string {
  return text
    .replace(/%u([0-9a-f]{4})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/(?:%[0-9a-f]{2})+/gi, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

/** The forms a text is inspected in: as sent, decoded once, decoded twice; entities decoded in each. */
function inspectedForms(text: string, formEncoded: boolean): string[] {
  const sent = formEncoded ? text.replace(/\+/g, ' ') : text;
  const once = urlDecode(sent);
  const twice = urlDecode(once);
  return [...new Set([sent, once, twice].flatMap((form) => [form, decodeEntities(form)]))];
}

function tokens(matched: string): string[] {
  return (matched.match(/\w+|[^\w\s]/g) ?? []).slice(0, 12);
}

function firstMatch(forms: readonly string[], patterns: readonly RegExp[]): PatternMatch | null {
  for (const form of forms) {
    for (const pattern of patterns) {
      const match = pattern.exec(form);
      if (match !== null) return { matched: match[0], matchedData: tokens(match[0]) };
    }
  }
  return null;
}

/** The values of a raw query string's arguments (`a=1&b=2` → `1`, `2`), still encoded. */
export function queryArgumentValues(args: string): string[] {
  return args
    .split('&')
    .filter((pair) => pair.length > 0)
    .map((pair) => {
      const equals = pair.indexOf('=');
      return equals === -1 ? '' : pair.slice(equals + 1);
    })
    .filter((value) => value.length > 0);
}

export type InspectedPart = 'query-value' | 'path';

export function findCrossSiteScripting(text: string, part: InspectedPart): PatternMatch | null {
  return firstMatch(inspectedForms(text, part === 'query-value'), xssPatterns);
}

export function findSqlInjection(text: string, part: InspectedPart): PatternMatch | null {
  // Inline comments hide keywords from naive matching (union/**/select): they count as spaces.
  const forms = inspectedForms(text, part === 'query-value').map((form) => form.replace(/\/\*.*?\*\//g, ' '));
  return firstMatch(forms, sqlInjectionPatterns);
}
