// An audit of the timeline page's Content Security Policy and of what the page would load, for both pages the one
// shell builds (src/core/report/timeline-html.ts): the self-contained report (render suite) and the extension's
// panel (e2e suite, the HTML the webview was given). The HTML is parsed by Chromium's own parser (DOMParser: no
// script runs, nothing loads), so an attribute-looking string inside the inlined bundle or the embedded model is not
// mistaken for markup; the checks then run here.

import type { Page } from 'playwright-core';

export interface PageSummary {
  /** The content of each <meta http-equiv="Content-Security-Policy">, in document order. */
  cspMetas: string[];
  /** Whether the (first) CSP meta comes before every script, style and link element. */
  cspFirst: boolean;
  scripts: Array<{ type: string; src: string | null; nonce: string; textLength: number }>;
  styles: Array<{ nonce: string }>;
  links: Array<{ rel: string; href: string | null; nonce: string }>;
  /** Every URL-bearing attribute of every element: [element, attribute, value]. */
  urls: Array<[string, string, string]>;
  /** on* attributes (inline event handlers), as element.attribute. */
  eventHandlers: string[];
  /** Elements that could load or embed another document. */
  embeds: string[];
}

/** Runs in the browser (as an expression, so neither the page's CSP nor the TypeScript DOM types are involved). */
const summarizeSource = String.raw`(html) => {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const all = [...doc.querySelectorAll('*')];
  const metas = [...doc.querySelectorAll('meta')].filter((m) => (m.getAttribute('http-equiv') || '').toLowerCase() === 'content-security-policy');
  const firstMeta = metas[0];
  const loaders = [...doc.querySelectorAll('script, style, link')];
  const before = (a, b) => Boolean(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
  const nonceOf = (el) => el.nonce || el.getAttribute('nonce') || '';
  const urlAttributes = ['src', 'href', 'srcset', 'action', 'formaction', 'poster', 'data', 'xlink:href', 'background', 'manifest', 'ping', 'content'];
  const urls = [];
  const eventHandlers = [];
  for (const el of all) {
    for (const attr of el.getAttributeNames()) {
      if (/^on/i.test(attr)) eventHandlers.push(el.tagName.toLowerCase() + '.' + attr);
      if (!urlAttributes.includes(attr.toLowerCase())) continue;
      // A meta's content is a URL only for a refresh; the CSP meta's content is the policy itself.
      if (el.tagName === 'META' && attr.toLowerCase() === 'content' && (el.getAttribute('http-equiv') || '').toLowerCase() !== 'refresh') continue;
      urls.push([el.tagName.toLowerCase(), attr, el.getAttribute(attr) || '']);
    }
  }
  return {
    cspMetas: metas.map((m) => m.getAttribute('content') || ''),
    cspFirst: firstMeta !== undefined && loaders.every((el) => before(firstMeta, el)),
    scripts: [...doc.querySelectorAll('script')].map((s) => ({ type: (s.getAttribute('type') || '').trim().toLowerCase(), src: s.getAttribute('src'), nonce: nonceOf(s), textLength: (s.textContent || '').length })),
    styles: [...doc.querySelectorAll('style')].map((s) => ({ nonce: nonceOf(s) })),
    links: [...doc.querySelectorAll('link')].map((l) => ({ rel: (l.getAttribute('rel') || '').toLowerCase(), href: l.getAttribute('href'), nonce: nonceOf(l) })),
    urls,
    eventHandlers,
    embeds: [...doc.querySelectorAll('iframe, frame, object, embed, base, form, portal, meta[http-equiv="refresh" i]')].map((el) => el.tagName.toLowerCase()),
  };
}`;

/** Parses the HTML in a page of the browser and sums up what the checks need. */
export function summarizePage(page: Page, html: string): Promise<PageSummary> {
  return page.evaluate(`(${summarizeSource})(${JSON.stringify(html)})`) as Promise<PageSummary>;
}

/** A policy as directive → its source list (lower-cased names; sources as written). */
export function parseCsp(policy: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name === undefined || name === '') continue;
    // The first occurrence of a directive is the one a browser uses; a repeat is a problem of its own.
    if (directives.has(name.toLowerCase())) directives.set(`${name.toLowerCase()} (repeated)`, sources);
    else directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

export interface AuditOptions {
  /**
   * Sources besides 'none', nonces and data: that the policy may name: the panel's webview.cspSource (VS Code's
   * origin for the extension's own files). None for the report.
   */
  resourceSources: string[];
  /** Where a src or href may point: URL prefixes of the extension's own files (the panel). None for the report. */
  allowedUrl: (url: string) => boolean;
}

/** The source keywords and schemes no policy of this page may use. */
const forbiddenSources = new Set(["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'wasm-unsafe-eval'", "'strict-dynamic'", "'self'", '*', 'http:', 'https:', 'ws:', 'wss:', 'blob:', 'filesystem:', 'mediastream:']);

/** Everything wrong with the page, one line each: an empty list is a pass. Also returns the nonce it found. */
export function cspProblems(summary: PageSummary, options: AuditOptions): { problems: string[]; nonce: string | null; directives: Map<string, string[]> } {
  const problems: string[] = [];
  if (summary.cspMetas.length !== 1) problems.push(`${summary.cspMetas.length} CSP meta elements (one expected)`);
  if (!summary.cspFirst) problems.push('the CSP meta does not come before every script, style and link');
  const directives = parseCsp(summary.cspMetas[0] ?? '');
  for (const name of directives.keys()) if (name.endsWith('(repeated)')) problems.push(`directive ${name}`);

  const defaultSrc = directives.get('default-src');
  if (defaultSrc === undefined || defaultSrc.join(' ') !== "'none'") problems.push(`default-src is ${JSON.stringify(defaultSrc)}, not 'none'`);

  const scriptSrc = directives.get('script-src') ?? [];
  const nonces = scriptSrc.filter((s) => /^'nonce-[A-Za-z0-9+/_=-]{16,}'$/.test(s));
  if (nonces.length !== 1 || scriptSrc.length !== 1) problems.push(`script-src is ${JSON.stringify(scriptSrc)}: exactly one 'nonce-…' and nothing else expected`);
  const nonce = nonces.length === 1 ? nonces[0]!.slice("'nonce-".length, -1) : null;

  for (const [name, sources] of directives) {
    for (const source of sources) {
      const lower = source.toLowerCase();
      // VS Code's own source for the extension's files (webview.cspSource), whatever form this VS Code gives it.
      if (options.resourceSources.includes(source) && name !== 'script-src') continue;
      if (forbiddenSources.has(lower)) problems.push(`${name} allows ${source}`);
      else if (lower === 'data:' && name !== 'img-src') problems.push(`${name} allows data:`);
      else if (lower === "'none'" || lower === 'data:' || /^'nonce-/.test(lower)) continue;
      else if (!options.resourceSources.includes(source)) problems.push(`${name} allows ${source}, which is no source of the extension's own files`);
    }
  }
  if (directives.has('script-src-elem') || directives.has('script-src-attr')) problems.push('script-src-elem/-attr would override script-src');

  for (const [i, script] of summary.scripts.entries()) {
    // A data block (<script type="application/json">) is never run, so CSP does not apply to it; it must not load anything.
    if (script.type === 'application/json') {
      if (script.src !== null) problems.push(`data block script ${i} has a src`);
      continue;
    }
    if (nonce === null || script.nonce !== nonce) problems.push(`script ${i} (${script.src ?? `inline, ${script.textLength} chars`}) does not carry the CSP nonce`);
    if (script.src !== null && !options.allowedUrl(script.src)) problems.push(`script ${i} loads ${script.src}`);
  }
  const styleSrc = directives.get('style-src') ?? defaultSrc ?? [];
  for (const [i, style] of summary.styles.entries()) {
    if (!styleSrc.some((s) => s === `'nonce-${style.nonce}'`)) problems.push(`inline style ${i} is not allowed by style-src (its nonce: ${JSON.stringify(style.nonce)})`);
  }
  for (const [element, attribute, value] of summary.urls) {
    const trimmed = value.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (/^javascript:/i.test(trimmed)) problems.push(`${element}.${attribute} is a javascript: URL`);
    else if (!options.allowedUrl(trimmed)) problems.push(`${element}.${attribute} points at ${trimmed}`);
  }
  for (const handler of summary.eventHandlers) problems.push(`inline event handler ${handler}`);
  for (const embed of summary.embeds) problems.push(`a <${embed}> element`);
  return { problems, nonce, directives };
}

export interface CspEnforcement {
  /** Whether an inline script appended without the nonce ran (it must not). */
  ran: boolean;
  /** What a fetch to another origin did: 'refused' when the policy blocked it. */
  fetched: 'fetched' | 'refused';
  /** The securitypolicyviolation events seen: "<directive> <blocked URI>". */
  violations: string[];
}

/**
 * Tries, in the running page, what its policy must refuse: an inline script without the nonce, an image and a fetch
 * from another origin (example.invalid: nothing resolves it, and the policy refuses before any request). For
 * page.evaluate or frame.evaluate; an expression, so the page's own code is not involved.
 */
export const cspEnforcementProbe = String.raw`(async () => {
  const violations = [];
  document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective + ' ' + e.blockedURI));
  const script = document.createElement('script');
  script.textContent = 'globalThis.__cspProbe = 1;';
  document.head.append(script);
  const image = document.createElement('img');
  image.src = 'https://example.invalid/pixel.png';
  document.body.append(image);
  const fetched = await fetch('https://example.invalid/').then(() => 'fetched', () => 'refused');
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { ran: globalThis.__cspProbe === 1, fetched, violations };
})()`;
