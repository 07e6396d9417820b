import { type Expression, type ExpressionBuilder, type Kysely, type SelectQueryBuilder, type SqlBool, sql } from 'kysely'
import type { Database } from '../database/schema.js'
import { badInput } from '../errors.js'

// Relay connections over keyset pagination. A cursor names the ordering it was issued for and
// the (sort value, id) of its row; the next page is "rows after that tuple in that ordering",
// served by an index on (organization_id, sort column, id). No OFFSET anywhere.

export const PAGE_SIZE = { default: 20, max: 200 } as const

export interface ConnectionArgs {
  first?: number | null
  after?: string | null
  last?: number | null
  before?: string | null
}

export type SortValue = string | number | Date

export interface SortKey<Row> {
  /** Stamped into cursors so a cursor is only accepted for the ordering that issued it. */
  name: string
  /** Qualified column, e.g. `vehicles.number`. */
  column: string
  /** PostgreSQL type of the column, for the cursor's parameter. */
  type: 'text' | 'integer' | 'bigint' | 'numeric' | 'timestamptz'
  /**
   * For a nullable column: the value NULL sorts as (e.g. 'infinity': last ascending, first
   * descending). Ordering and keyset then use coalesce(column, nullsAs), which an expression
   * index must match.
   */
  nullsAs?: string
  direction: 'asc' | 'desc'
  /** Qualified id column, the tiebreaker. */
  idColumn: string
  /** Type of the id column: uuid unless said otherwise (the audit log's ids are bigint, as text). */
  idType?: 'uuid' | 'bigint'
  value: (row: Row) => SortValue
}

export interface Page<Row> {
  rows: Row[]
  cursor: (row: Row) => string
  hasNextPage: boolean
  hasPreviousPage: boolean
  /** Counted only when the client asks for `totalCount`. */
  totalCount: () => Promise<number>
}

interface Cursor {
  value: string | number
  id: string
}

export interface PageWindow {
  size: number
  backward: boolean
  after: Cursor | null
  before: Cursor | null
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const BIGINT = /^[0-9]{1,18}$/

export function encodeCursor (sortName: string, value: SortValue, id: string): string {
  const plain = value instanceof Date ? value.toISOString() : value
  return Buffer.from(JSON.stringify([sortName, plain, id])).toString('base64url')
}

// What a cursor's sort value may be: only what this API itself puts there (a forged cursor must
// fail here, not in PostgreSQL).
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const VALUE_CHECKS: Record<SortKey<never>['type'], (value: unknown) => boolean> = {
  text: (value) => typeof value === 'string' && !value.includes('\u0000') && value.isWellFormed(),
  integer: (value) => typeof value === 'number' && Number.isSafeInteger(value),
  bigint: (value) => typeof value === 'string' && BIGINT.test(value),
  numeric: (value) => typeof value === 'string' && /^-?\d{1,15}(\.\d{1,6})?$/.test(value),
  timestamptz: (value) => typeof value === 'string' && (value === 'infinity' || value === '-infinity' || (ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value))))
}

/** What rows are ordered by: the column, or coalesce(column, nullsAs) for a nullable one. */
function sortExpression (sort: SortKey<never>): Expression<unknown> {
  return sort.nullsAs === undefined
    ? sql.ref(sort.column)
    : sql`coalesce(${sql.ref(sort.column)}, cast(${sort.nullsAs} as ${sql.raw(sort.type)}))`
}

type CursorShape = Pick<SortKey<never>, 'name' | 'type' | 'idType'>

function decodeCursor (cursor: string, sort: CursorShape, field: string): Cursor {
  const invalid = () => badInput(`${field} is not a cursor issued by this API`, field)
  let decoded: unknown
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw invalid()
  }
  if (!Array.isArray(decoded) || decoded.length !== 3) throw invalid()
  const [name, value, id] = decoded as unknown[]
  if (name !== sort.name) {
    throw badInput(`${field} was issued for a different ordering (${String(name)}); restart paging without it`, field)
  }
  if (typeof id !== 'string' || !(sort.idType === 'bigint' ? BIGINT : UUID).test(id) || !VALUE_CHECKS[sort.type](value)) throw invalid()
  return { value: value as string | number, id }
}

function checkSize (value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > PAGE_SIZE.max) {
    throw badInput(`${field} must be between 0 and ${PAGE_SIZE.max}`, field)
  }
  return value
}

/** Validates first/after/last/before for an ordering. */
export function pageWindow (args: ConnectionArgs, sort: CursorShape): PageWindow {
  const hasFirst = args.first !== undefined && args.first !== null
  const hasLast = args.last !== undefined && args.last !== null
  if (hasFirst && hasLast) throw badInput('Pass either first or last, not both', 'last')
  const backward = hasLast
  const size = hasLast ? checkSize(args.last as number, 'last') : hasFirst ? checkSize(args.first as number, 'first') : PAGE_SIZE.default
  return {
    size,
    backward,
    after: args.after === undefined || args.after === null ? null : decodeCursor(args.after, sort, 'after'),
    before: args.before === undefined || args.before === null ? null : decodeCursor(args.before, sort, 'before')
  }
}

/** `(column, id) > (value, id)` or `<`, depending on the direction and which side of the cursor we want. */
export function keysetCondition<Row> (sort: SortKey<Row>, cursor: Cursor, side: 'after' | 'before'): Expression<SqlBool> {
  const ascending = sort.direction === 'asc'
  const operator = (side === 'after') === ascending ? sql.raw('>') : sql.raw('<')
  return sql<SqlBool>`(${sortExpression(sort as SortKey<never>)}, ${sql.ref(sort.idColumn)}) ${operator} (cast(${cursor.value} as ${sql.raw(sort.type)}), cast(${cursor.id} as ${sql.raw(sort.idType ?? 'uuid')}))`
}

/** Applies the window to a query: keyset conditions, order (reversed when paging backward) and limit + 1. */
export function applyWindow<DB, TB extends keyof DB, O> (
  query: SelectQueryBuilder<DB, TB, O>,
  window: PageWindow,
  sort: SortKey<never>
): SelectQueryBuilder<DB, TB, O> {
  let q = query
  if (window.after !== null) q = q.where(keysetCondition(sort, window.after, 'after'))
  if (window.before !== null) q = q.where(keysetCondition(sort, window.before, 'before'))
  const forward = sort.direction === 'asc' ? 'asc' : 'desc'
  const reverse = forward === 'asc' ? 'desc' : 'asc'
  const direction = window.backward ? reverse : forward
  return q.orderBy(sortExpression(sort), direction).orderBy(sql.ref(sort.idColumn), direction).limit(window.size + 1)
}

/** The parent's id inside a page of `pagesPerParent`: compare the table's parent column with it. */
export const PARENT_ID = sql.ref<string>('parent.parent_id')

/**
 * One window of rows for each parent id (a nested connection over a page of parents), in one
 * statement: a lateral join of `page`, the rows of one parent (its parent column compared with
 * PARENT_ID), over the ids. Each row carries the `parent_id` it was fetched for.
 */
export async function pagesPerParent<Row, TB extends keyof Database> (
  db: Kysely<Database>,
  parentIds: readonly string[],
  page: (eb: ExpressionBuilder<Database, never>) => SelectQueryBuilder<Database, TB, Row>,
  window: PageWindow,
  sort: SortKey<Row>
): Promise<Array<Row & { parent_id: string }>> {
  const rows = await db.selectFrom(sql<{ parent_id: string }>`(select unnest(cast(${parentIds} as uuid[])) as parent_id)`.as('parent'))
    .innerJoinLateral((eb) => applyWindow(page(eb as never), window, sort as SortKey<never>).as('page'), (join) => join.onTrue())
    .selectAll('page')
    .select('parent.parent_id')
    .execute()
  return rows as Array<Row & { parent_id: string }>
}

/** Turns the size + 1 rows fetched for a window into a page. */
export function toPage<Row extends { id: string }> (
  fetched: Row[],
  window: PageWindow,
  sort: SortKey<Row>,
  totalCount: () => Promise<number>
): Page<Row> {
  const more = fetched.length > window.size
  const rows = fetched.slice(0, window.size)
  if (window.backward) rows.reverse()
  return {
    rows,
    cursor: (row) => encodeCursor(sort.name, sort.value(row), row.id),
    hasNextPage: window.backward ? window.before !== null : more,
    hasPreviousPage: window.backward ? more : window.after !== null,
    totalCount
  }
}

/** One query for one page of a top-level list. */
export async function paginate<DB, TB extends keyof DB, Row extends { id: string }> (
  query: SelectQueryBuilder<DB, TB, Row>,
  args: ConnectionArgs,
  sort: SortKey<Row>,
  totalCount: () => Promise<number>
): Promise<Page<Row>> {
  // With first: 0 the one row fetched (limit size + 1) still tells whether there is a next page.
  const window = pageWindow(args, sort as SortKey<never>)
  const fetched = await applyWindow(query, window, sort as SortKey<never>).execute()
  return toPage(fetched as Row[], window, sort, totalCount)
}

/**
 * One page of a filtered list: `filtered` is the FROM and WHERE, `select` what a row carries. The
 * total count, when asked for, is the same filter counted.
 */
export async function paginateFiltered<DB, TB extends keyof DB, Row extends { id: string }> (
  filtered: SelectQueryBuilder<DB, TB, object>,
  select: (query: SelectQueryBuilder<DB, TB, object>) => SelectQueryBuilder<DB, TB, Row>,
  args: ConnectionArgs,
  sort: SortKey<Row>
): Promise<Page<Row>> {
  const count = async (): Promise<number> => {
    // Kysely cannot follow a selection through these generic parameters: the row is { count }.
    const row = await filtered.select(sql<number>`count(*)`.as('count')).executeTakeFirstOrThrow() as { count: number | string }
    return Number(row.count)
  }
  return await paginate(select(filtered), args, sort, count)
}

/** The resolvers every XConnection type shares. */
export const connectionResolvers = {
  edges: <Row>(page: Page<Row>) => page.rows.map((node) => ({ cursor: page.cursor(node), node })),
  nodes: <Row>(page: Page<Row>) => page.rows,
  pageInfo: <Row>(page: Page<Row>) => ({
    hasNextPage: page.hasNextPage,
    hasPreviousPage: page.hasPreviousPage,
    startCursor: page.rows.length === 0 ? null : page.cursor(page.rows[0] as Row),
    endCursor: page.rows.length === 0 ? null : page.cursor(page.rows[page.rows.length - 1] as Row)
  }),
  totalCount: async <Row>(page: Page<Row>) => await page.totalCount()
}
