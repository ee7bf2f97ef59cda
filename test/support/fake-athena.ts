// Athena for the local AWS wire-protocol server (fake-aws.ts, AWS JSON 1.1, x-amz-target AmazonAthena.Op), driven by
// the real @aws-sdk/client-athena. It answers SELECTs from rows a test registers per table, each row in a `day`
// partition folder (`yyyy/MM/dd`), and checks what Athena would: the ExecutionParameters (one per `?`, each a literal:
// a quoted string or a number, never an expression), and the partitions — a query without `day IN ('…')` literals is
// refused here (it would scan every day), and only the listed days' rows are visible. The WHERE clause is evaluated
// by a small SQL interpreter (AND/OR/NOT, = <> < > <= >=, IN, BETWEEN, IS [NOT] NULL, CAST(… AS varchar), upper,
// regexp_replace, strpos, from_iso8601_timestamp), so a query that asks for the wrong thing finds nothing.
// Lifecycle: QUEUED → RUNNING (for `pollsBeforeDone` GetQueryExecution calls) → SUCCEEDED, or FAILED (a table in
// `fail`, a missing table or column), or RUNNING until StopQueryExecution (`hang`) → CANCELLED.

import { randomUUID } from 'node:crypto';
import type { FakeAwsHandler, FakeAwsReply } from './fake-aws';

export type FakeAthenaRow = { day: string } & Record<string, string | null>;

export interface FakeAthenaOptions {
  /** Rows by table name (unqualified). */
  tables: Record<string, FakeAthenaRow[]>;
  /** When given, QueryExecutionContext.Database must be this. */
  database?: string;
  /** GetQueryExecution answers before the query ends (QUEUED first, then RUNNING). Default 1. */
  pollsBeforeDone?: number;
  /** Tables whose queries end FAILED with this reason. */
  fail?: Record<string, string>;
  /** Queries run until StopQueryExecution. */
  hang?: boolean;
  /** The most rows a GetQueryResults page holds (Athena: MaxResults, up to 1000). */
  maxPageRows?: number;
  /** DataScannedInBytes of a query; default 1,000 bytes per row in the partitions it reads. */
  bytesScanned?(table: string, days: string[]): number;
}

export interface FakeAthenaQuery {
  id: string;
  queryString: string;
  parameters: string[];
  database: string | undefined;
  workgroup: string | undefined;
  outputLocation: string | undefined;
  table: string;
  /** The day partitions the query text names. */
  days: string[];
  state: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  reason?: string;
  polls: number;
  columns: string[];
  rows: Array<Array<string | null>>;
  bytes: number;
}

type ErrorReply = Extract<FakeAwsReply, { error: unknown }>;
const invalid = (message: string): ErrorReply => ({ error: { code: 'InvalidRequestException', message } });

export function fakeAthena(options: FakeAthenaOptions): { handlers: Record<`athena:${string}`, FakeAwsHandler>; queries: FakeAthenaQuery[] } {
  const queries: FakeAthenaQuery[] = [];
  const byId = (params: Record<string, unknown>): FakeAthenaQuery | undefined => queries.find((q) => q.id === params.QueryExecutionId);
  const handlers: Record<`athena:${string}`, FakeAwsHandler> = {
    'athena:StartQueryExecution': (params) => {
      const started = startQuery(options, params);
      if ('error' in started) return started;
      queries.push(started);
      return { output: { QueryExecutionId: started.id } };
    },
    'athena:GetQueryExecution': (params) => {
      const query = byId(params);
      if (query === undefined) return invalid(`QueryExecution ${String(params.QueryExecutionId)} was not found`);
      advance(options, query);
      const status = { State: query.state, ...(query.reason !== undefined ? { StateChangeReason: query.reason, AthenaError: { ErrorCategory: 2, ErrorType: 1006, ErrorMessage: query.reason } } : {}), SubmissionDateTime: new Date() };
      return {
        output: {
          QueryExecution: {
            QueryExecutionId: query.id,
            Query: query.queryString,
            StatementType: 'DML',
            Status: status,
            WorkGroup: query.workgroup,
            ExecutionParameters: query.parameters,
            ...(query.state === 'SUCCEEDED' ? { Statistics: { DataScannedInBytes: query.bytes, EngineExecutionTimeInMillis: 1200 } } : {}),
          },
        },
      };
    },
    'athena:GetQueryResults': (params) => {
      const query = byId(params);
      if (query === undefined) return invalid(`QueryExecution ${String(params.QueryExecutionId)} was not found`);
      if (query.state !== 'SUCCEEDED') return invalid(`Query has not yet finished. Current state: ${query.state}`);
      return { output: resultsPage(query, params, options.maxPageRows ?? 1000) };
    },
    'athena:StopQueryExecution': (params) => {
      const query = byId(params);
      if (query !== undefined && (query.state === 'QUEUED' || query.state === 'RUNNING')) query.state = 'CANCELLED';
      return { output: {} };
    },
  };
  return { handlers, queries };
}

function advance(options: FakeAthenaOptions, query: FakeAthenaQuery): void {
  if (query.state !== 'QUEUED' && query.state !== 'RUNNING') return;
  query.polls++;
  if (options.hang === true || query.polls <= (options.pollsBeforeDone ?? 1)) {
    query.state = query.polls === 1 ? 'QUEUED' : 'RUNNING';
    return;
  }
  const reason = options.fail?.[query.table];
  if (reason !== undefined) {
    query.state = 'FAILED';
    query.reason = reason;
  } else if (query.reason !== undefined) query.state = 'FAILED';
  else query.state = 'SUCCEEDED';
}

function resultsPage(query: FakeAthenaQuery, params: Record<string, unknown>, maxPageRows: number): Record<string, unknown> {
  const offset = typeof params.NextToken === 'string' ? Number(params.NextToken) : 0;
  const size = Math.min(typeof params.MaxResults === 'number' ? params.MaxResults : 1000, maxPageRows);
  // The first page starts with the header row, as Athena's does for a SELECT.
  const all = [query.columns, ...query.rows];
  const page = all.slice(offset, offset + size);
  const next = offset + size < all.length ? String(offset + size) : undefined;
  return {
    ResultSet: {
      Rows: page.map((values) => ({ Data: values.map((v) => (v === null ? {} : { VarCharValue: v })) })),
      ResultSetMetadata: { ColumnInfo: query.columns.map((name) => ({ CatalogName: 'hive', Name: name, Label: name, Type: 'varchar', Nullable: 'UNKNOWN' })) },
    },
    ...(next !== undefined ? { NextToken: next } : {}),
    UpdateCount: 0,
  };
}

/** Checks the request as Athena would, then runs the query on the registered rows (its state starts QUEUED). */
function startQuery(options: FakeAthenaOptions, params: Record<string, unknown>): FakeAthenaQuery | ErrorReply {
  const queryString = typeof params.QueryString === 'string' ? params.QueryString : '';
  const parameters = Array.isArray(params.ExecutionParameters) ? (params.ExecutionParameters as string[]) : [];
  const context = params.QueryExecutionContext as { Database?: string } | undefined;
  const database = context?.Database;
  if (options.database !== undefined && database !== options.database) return invalid(`fake-athena: QueryExecutionContext.Database is ${String(database)}, not ${options.database}`);
  let tokens: Token[];
  try {
    tokens = tokenize(queryString);
  } catch (e) {
    return invalid(`fake-athena: ${String(e)}`);
  }
  const placeholders = tokens.filter((t) => t.kind === 'param').length;
  if (placeholders !== parameters.length) return invalid(`Execution parameters count ${parameters.length} does not match the query's ${placeholders} placeholders`);
  const values: Value[] = [];
  for (const p of parameters) {
    const literal = tokenize(p);
    if (literal.length !== 1 || (literal[0]!.kind !== 'string' && literal[0]!.kind !== 'number')) return invalid(`fake-athena: execution parameter ${p} is not a literal (strings are quoted)`);
    values.push(literal[0]!.value as Value);
  }
  const query: FakeAthenaQuery = {
    id: randomUUID(),
    queryString,
    parameters,
    database,
    workgroup: typeof params.WorkGroup === 'string' ? params.WorkGroup : undefined,
    outputLocation: (params.ResultConfiguration as { OutputLocation?: string } | undefined)?.OutputLocation,
    table: '',
    days: [],
    state: 'QUEUED',
    polls: 0,
    columns: [],
    rows: [],
    bytes: 0,
  };
  try {
    runSelect(options, query, tokens, values);
  } catch (e) {
    if (e instanceof RefusedQuery) return invalid(e.message);
    // Found while running (no such table or column): the query fails, as Athena's does, after it started.
    query.reason = String((e as Error).message);
  }
  return query;
}

class RefusedQuery extends Error {}

type Value = string | number | boolean | null;
type Token = { kind: 'string' | 'number' | 'name' | 'word' | 'symbol' | 'param'; value: string | number };

const keywords = new Set(['SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IN', 'BETWEEN', 'IS', 'NULL', 'CAST', 'AS', 'ORDER', 'BY', 'LIMIT', 'ASC', 'DESC']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s+|'((?:[^']|'')*)'|"([^"]*)"|(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(<>|<=|>=|[(),=<>.*?])/y;
  let at = 0;
  while (at < text.length) {
    pattern.lastIndex = at;
    const m = pattern.exec(text);
    if (m === null) throw new Error(`cannot read the query at ${JSON.stringify(text.slice(at, at + 20))}`);
    at = pattern.lastIndex;
    if (m[1] !== undefined) tokens.push({ kind: 'string', value: m[1].replace(/''/g, "'") });
    else if (m[2] !== undefined) tokens.push({ kind: 'name', value: m[2] });
    else if (m[3] !== undefined) tokens.push({ kind: 'number', value: Number(m[3]) });
    else if (m[4] !== undefined) tokens.push(keywords.has(m[4].toUpperCase()) ? { kind: 'word', value: m[4].toUpperCase() } : { kind: 'name', value: m[4] });
    else if (m[5] !== undefined) tokens.push(m[5] === '?' ? { kind: 'param', value: '?' } : { kind: 'symbol', value: m[5] });
  }
  return tokens;
}

type Node =
  | { op: 'literal'; value: Value }
  | { op: 'param'; index: number }
  | { op: 'column'; name: string }
  | { op: 'call'; name: string; args: Node[] }
  | { op: 'cast'; value: Node }
  | { op: 'compare'; operator: string; left: Node; right: Node }
  | { op: 'in'; value: Node; list: Node[] }
  | { op: 'between'; value: Node; low: Node; high: Node }
  | { op: 'isNull'; value: Node; not: boolean }
  | { op: 'and' | 'or'; left: Node; right: Node }
  | { op: 'not'; value: Node };

/** A recursive-descent reader of the SQL this product writes (SELECT columns FROM "db"."table" WHERE … ORDER BY … LIMIT n). */
class Parser {
  private at = 0;
  private params = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(value?: string): boolean {
    const t = this.tokens[this.at];
    return t !== undefined && (value === undefined || t.value === value);
  }
  take(value?: string): Token {
    const t = this.tokens[this.at];
    if (t === undefined || (value !== undefined && t.value !== value)) throw new RefusedQuery(`fake-athena: expected ${value ?? 'more'} at token ${this.at}, found ${String(t?.value)}`);
    this.at++;
    return t;
  }
  done(): boolean {
    return this.at >= this.tokens.length;
  }
  name(): string {
    const t = this.take();
    if (t.kind !== 'name') throw new RefusedQuery(`fake-athena: expected a name, found ${String(t.value)}`);
    return String(t.value);
  }
  /** `a OR b OR c` (or AND): left-associative. */
  private chain(word: 'OR' | 'AND', next: () => Node): Node {
    let left = next();
    while (this.peek(word)) {
      this.take();
      left = { op: word === 'OR' ? 'or' : 'and', left, right: next() };
    }
    return left;
  }
  expr(): Node {
    return this.chain('OR', () => this.chain('AND', () => this.negation()));
  }
  private negation(): Node {
    if (this.peek('NOT')) {
      this.take();
      return { op: 'not', value: this.negation() };
    }
    return this.predicate();
  }
  private predicate(): Node {
    const value = this.value();
    const t = this.tokens[this.at];
    if (t?.kind === 'symbol' && ['=', '<>', '<', '>', '<=', '>='].includes(String(t.value))) {
      this.take();
      return { op: 'compare', operator: String(t.value), left: value, right: this.value() };
    }
    if (this.peek('IN')) {
      this.take();
      this.take('(');
      const list = [this.value()];
      while (this.peek(',')) list.push((this.take(), this.value()));
      this.take(')');
      return { op: 'in', value, list };
    }
    if (this.peek('BETWEEN')) {
      this.take();
      const low = this.value();
      this.take('AND');
      return { op: 'between', value, low, high: this.value() };
    }
    if (this.peek('IS')) {
      this.take();
      const not = this.peek('NOT') ? (this.take(), true) : false;
      this.take('NULL');
      return { op: 'isNull', value, not };
    }
    return value;
  }
  value(): Node {
    const t = this.take();
    if (t.kind === 'string' || t.kind === 'number') return { op: 'literal', value: t.value };
    if (t.kind === 'param') return { op: 'param', index: this.params++ };
    if (t.value === 'NULL') return { op: 'literal', value: null };
    if (t.value === '(') {
      const inner = this.expr();
      this.take(')');
      return inner;
    }
    if (t.value === 'CAST') {
      this.take('(');
      const value = this.value();
      this.take('AS');
      this.name();
      this.take(')');
      return { op: 'cast', value };
    }
    if (t.kind === 'name') {
      if (!this.peek('(')) return { op: 'column', name: String(t.value) };
      this.take('(');
      const args = [this.value()];
      while (this.peek(',')) args.push((this.take(), this.value()));
      this.take(')');
      return { op: 'call', name: String(t.value).toLowerCase(), args };
    }
    throw new RefusedQuery(`fake-athena: unexpected ${String(t.value)}`);
  }
}

/** Runs the SELECT on the table's rows in the query's day partitions: the columns and rows of the answer. */
function runSelect(options: FakeAthenaOptions, query: FakeAthenaQuery, tokens: Token[], params: Value[]): void {
  const p = new Parser(tokens);
  p.take('SELECT');
  const columns = [p.name()];
  while (p.peek(',')) columns.push((p.take(), p.name()));
  p.take('FROM');
  let table = p.name();
  if (p.peek('.')) table = (p.take(), p.name());
  p.take('WHERE');
  const where = p.expr();
  let orderBy: string | null = null;
  let limit = Infinity;
  if (p.peek('ORDER')) orderBy = (p.take(), p.take('BY'), p.name());
  if (p.peek('LIMIT')) limit = (p.take(), Number(p.take().value));
  if (!p.done()) throw new RefusedQuery('fake-athena: unexpected text after the query');
  query.table = table;
  query.columns = columns;
  query.days = partitionDays(where);
  if (query.days.length === 0) throw new RefusedQuery("fake-athena: the query names no day partitions (day IN ('yyyy/MM/dd', …)): it would scan every day");
  const rows = options.tables[table];
  if (rows === undefined) throw new Error(`TABLE_NOT_FOUND: line 2:6: Table 'awsdatacatalog.${query.database ?? 'default'}.${table}' does not exist`);
  const scanned = rows.filter((r) => query.days.includes(r.day));
  query.bytes = options.bytesScanned?.(table, query.days) ?? scanned.length * 1000;
  const missing = columns.find((c) => rows.length > 0 && !(c in rows[0]!));
  if (missing !== undefined) throw new Error(`COLUMN_NOT_FOUND: line 1:8: Column '${missing}' cannot be resolved`);
  let matched = scanned.filter((row) => evaluate(where, row, params) === true);
  if (orderBy !== null) matched = [...matched].sort((a, b) => String(a[orderBy!] ?? '').localeCompare(String(b[orderBy!] ?? '')));
  query.rows = matched.slice(0, limit).map((row) => columns.map((c) => row[c] ?? null));
}

/** The day literals of the top-level `day IN (…)` conjunct: what partition projection prunes on. */
function partitionDays(where: Node): string[] {
  const conjuncts: Node[] = [];
  const walk = (n: Node): void => (n.op === 'and' ? (walk(n.left), walk(n.right)) : void conjuncts.push(n));
  walk(where);
  const days = conjuncts.find((n): n is Extract<Node, { op: 'in' }> => n.op === 'in' && n.value.op === 'column' && n.value.name === 'day');
  if (days === undefined || !days.list.every((v) => v.op === 'literal' && typeof v.value === 'string' && /^\d{4}\/\d{2}\/\d{2}$/.test(v.value))) return [];
  return days.list.map((v) => String((v as { value: string }).value));
}

function evaluate(node: Node, row: FakeAthenaRow, params: Value[]): Value {
  const v = (n: Node): Value => evaluate(n, row, params);
  switch (node.op) {
    case 'literal':
      return node.value;
    case 'param':
      return params[node.index] ?? null;
    case 'column':
      if (!(node.name in row)) throw new Error(`COLUMN_NOT_FOUND: Column '${node.name}' cannot be resolved`);
      return row[node.name] ?? null;
    case 'cast': {
      const value = v(node.value);
      return value === null ? null : String(value);
    }
    case 'call':
      return call(node.name, node.args.map(v));
    case 'compare':
      return compare(node.operator, v(node.left), v(node.right));
    case 'in': {
      const value = v(node.value);
      return value === null ? null : node.list.some((item) => compare('=', value, v(item)) === true);
    }
    case 'between': {
      const value = v(node.value);
      return compare('>=', value, v(node.low)) === true && compare('<=', value, v(node.high)) === true;
    }
    case 'isNull':
      return (v(node.value) === null) !== node.not;
    case 'and':
      return v(node.left) === true && v(node.right) === true;
    case 'or':
      return v(node.left) === true || v(node.right) === true;
    case 'not':
      return v(node.value) === false;
  }
}

function compare(operator: string, a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  if (typeof a !== typeof b) throw new Error(`TYPE_MISMATCH: cannot compare ${typeof a} with ${typeof b}`);
  const order = a < b ? -1 : a > b ? 1 : 0;
  return { '=': order === 0, '<>': order !== 0, '<': order < 0, '>': order > 0, '<=': order <= 0, '>=': order >= 0 }[operator] ?? null;
}

function call(name: string, args: Value[]): Value {
  if (args.some((a) => a === null)) return null;
  const [a, b, c] = args as Array<string | number>;
  switch (name) {
    case 'upper':
      return String(a).toUpperCase();
    case 'regexp_replace':
      return String(a).replace(new RegExp(String(b), 'g'), c === undefined ? '' : String(c));
    case 'strpos':
      return String(a).indexOf(String(b)) + 1;
    case 'from_iso8601_timestamp': {
      const t = Date.parse(String(a));
      if (Number.isNaN(t)) throw new Error(`INVALID_FUNCTION_ARGUMENT: Invalid format: "${String(a)}"`);
      return t;
    }
    default:
      throw new Error(`FUNCTION_NOT_FOUND: ${name}`);
  }
}
