import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { cp, mkdir, rename, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { PGlite } from '@electric-sql/pglite'
import { Kysely, PGliteDialect } from 'kysely'
import { MIGRATIONS_DIR, migrateUp } from './migrator.js'

// The embedded database (PGlite, in-process PostgreSQL). Creating a data directory runs PGlite's
// initdb, which takes 2.6 s on an idle 2-core machine and 15 s on a busy one, and then every
// migration. A new data directory is therefore copied from a template instead: an initialised,
// fully migrated and closed data directory kept in a cache, one per PGlite version and migration
// set (`npm start` prepares it while building; a start that finds none makes it once). Copying
// takes about 0.3 s. Only the demo seed, whose dates are relative to "now", runs at first start.

export interface EmbeddedTarget {
  /** The data directory; null keeps the database in memory. */
  dataDir: string | null
  /** Already opening (the server starts it before its modules load); used instead of opening again. */
  opening?: Promise<PGlite>
  /** A data directory dump (PGlite's `dumpDataDir`) to start from: the tests' template. */
  loadDataDir?: Blob
  /** Where templates are kept; a new data directory is copied from one. Unset: no template. */
  templateCache?: string
}

// The package exports no package.json: it is read next to the entry point.
const PGLITE_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.resolve('@electric-sql/pglite')), 'utf8')) as { version: string }).version

/**
 * PostgreSQL's default 128 MB of shared buffers grows PGlite's WebAssembly memory to that size
 * as pages are touched (RSS 630 MB after a few queries); the demo fleet fits in far less.
 */
const SETTINGS = ['-c', 'shared_buffers=16MB']

async function createPGlite (options: { dataDir?: string, loadDataDir?: Blob }): Promise<PGlite> {
  // Loaded on demand: PGlite's WebAssembly build costs start-up time a PostgreSQL deployment never needs.
  const [{ PGlite }, { btree_gist: btreeGist }, { pg_trgm: pgTrgm }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/btree_gist'),
    import('@electric-sql/pglite/contrib/pg_trgm')
  ])
  return await PGlite.create({
    ...options,
    startParams: [...PGlite.defaultStartParams, ...SETTINGS],
    extensions: { btree_gist: btreeGist, pg_trgm: pgTrgm }
  })
}

/** What opening did to the disk, for the log. */
export type EmbeddedReport = (message: string, fields: Record<string, unknown>) => void

/** Opens the embedded database, copying a new data directory from the template when there is one. */
export async function openEmbedded (target: EmbeddedTarget, report: EmbeddedReport = () => {}): Promise<PGlite> {
  if (target.dataDir === null) return await createPGlite({ loadDataDir: target.loadDataDir })
  const dataDir = resolve(target.dataDir)
  if (target.templateCache !== undefined && isFresh(dataDir)) {
    const started = performance.now()
    const created = !templateReady(target.templateCache)
    const template = await embeddedTemplate(target.templateCache)
    if (created) report('prepared the embedded database template (initialised and migrated, once per migration set)', { template, ms: Math.round(performance.now() - started) })
    await copyInto(template, dataDir)
    report('new embedded database copied from its template', { template, dataDir, ms: Math.round(performance.now() - started) })
  } else {
    mkdirSync(dataDir, { recursive: true })
  }
  return await createPGlite({ dataDir, loadDataDir: target.loadDataDir })
}

/** No database in it yet: missing, or an empty directory. */
function isFresh (dataDir: string): boolean {
  return !existsSync(dataDir) || readdirSync(dataDir).length === 0
}

/** Renamed into place only once complete, so a crash mid-copy never leaves half a database. */
async function copyInto (source: string, target: string): Promise<void> {
  const partial = `${target}.partial-${process.pid}`
  await rm(partial, { recursive: true, force: true })
  await cp(source, partial, { recursive: true })
  await rm(target, { recursive: true, force: true })
  await rename(partial, target)
}

/** Names a template by what it holds: the PGlite version and every migration's text. */
export function templateKey (migrationsDir = MIGRATIONS_DIR): string {
  const hash = createHash('sha256').update(`pglite ${PGLITE_VERSION}\0${SETTINGS.join(' ')}\0`)
  for (const file of readdirSync(migrationsDir).sort()) {
    if (!/\.(ts|js)$/.test(file)) continue
    hash.update(`${file}\0`).update(readFileSync(join(migrationsDir, file))).update('\0')
  }
  return hash.digest('hex').slice(0, 16)
}

function templatePath (cacheDir: string): string {
  return resolve(cacheDir, `pglite-${templateKey()}`)
}

/** The cache holds the template for this code's migrations. */
export function templateReady (cacheDir: string): boolean {
  return existsSync(join(templatePath(cacheDir), 'PG_VERSION'))
}

/**
 * The template for this code's migrations, made first if the cache has none. Processes making it
 * at once each build their own and the first rename wins; a template is never seen half made.
 */
export async function embeddedTemplate (cacheDir: string): Promise<string> {
  const template = templatePath(cacheDir)
  if (templateReady(cacheDir)) return template
  const partial = `${template}.partial-${process.pid}`
  await rm(partial, { recursive: true, force: true })
  await mkdir(partial, { recursive: true })
  const pglite = await createPGlite({ dataDir: partial })
  const db = new Kysely<unknown>({ dialect: new PGliteDialect({ pglite: async () => await Promise.resolve(pglite) }) })
  try {
    await migrateUp(db)
  } finally {
    await db.destroy()
  }
  try {
    await rename(partial, template)
  } catch (err) {
    await rm(partial, { recursive: true, force: true })
    if (!templateReady(cacheDir)) throw err
  }
  await pruneTemplates(cacheDir)
  return template
}

// Each migration set leaves a template of about 40 MB; the newest few are kept (sources and
// compiled code have templates of their own, and a branch switch should not rebuild one).
const TEMPLATES_KEPT = 3

async function pruneTemplates (cacheDir: string): Promise<void> {
  const templates = readdirSync(cacheDir)
    .filter((name) => /^pglite-[0-9a-f]{16}$/.test(name))
    .map((name) => ({ path: join(cacheDir, name), at: statSync(join(cacheDir, name)).mtimeMs }))
    .sort((a, b) => b.at - a.at)
  for (const { path } of templates.slice(TEMPLATES_KEPT)) await rm(path, { recursive: true, force: true })
}
