import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'

// The persisted-query manifest (PERSISTED_QUERIES_FILE): the operations a deployment knows by the
// SHA-256 of their text, the id clients send as `extensions.persistedQuery.sha256Hash`. Two
// formats are read:
//   { "<sha256>": "<query text>", ... }                               (Apollo/Relay key-value form)
//   { "format": "apollo-persisted-query-manifest", "version": 1,
//     "operations": [{ "id": "<sha256>", "body": "<query text>", "name": "...", "type": "query" }] }
// Every id must be the SHA-256 of its text: a hash always names exactly the text it was computed
// from, whether it came from the manifest or from a client's automatic registration.
// Kept free of GraphQL and Mercurius: loadConfig reads the file with the other settings.

export interface PersistedOperation {
  body: string
  name?: string
}

/** Operations by the hex SHA-256 of their text. */
export type PersistedQueryManifest = ReadonlyMap<string, PersistedOperation>

export const APOLLO_MANIFEST_FORMAT = 'apollo-persisted-query-manifest'

/** Lowercase hex SHA-256 of a text's UTF-8 bytes (the APQ protocol's `sha256Hash`). */
export function sha256Hex (text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

const MAX_LISTED = 5

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Parses a manifest's JSON text; `where` prefixes every problem (e.g. "PERSISTED_QUERIES_FILE (path)"). */
export function parseManifest (json: string, where: string): { manifest: Map<string, PersistedOperation>, problems: string[] } {
  const manifest = new Map<string, PersistedOperation>()
  let data: unknown
  try {
    data = JSON.parse(json)
  } catch (err) {
    return { manifest, problems: [`${where} is not valid JSON: ${(err as Error).message}`] }
  }
  if (!isRecord(data)) {
    return { manifest, problems: [`${where} must be a JSON object: { "<sha256>": "<query>" } or an Apollo persisted-query manifest`] }
  }

  const entries: Array<{ label: string, id: unknown, body: unknown, name?: unknown }> = []
  const problems: string[] = []
  if ('format' in data) {
    if (data.format !== APOLLO_MANIFEST_FORMAT) return { manifest, problems: [`${where}: unknown format ${JSON.stringify(data.format)} (expected "${APOLLO_MANIFEST_FORMAT}")`] }
    if (data.version !== 1) return { manifest, problems: [`${where}: ${APOLLO_MANIFEST_FORMAT} version ${JSON.stringify(data.version)} is not supported (expected 1)`] }
    if (!Array.isArray(data.operations)) return { manifest, problems: [`${where}: "operations" must be an array`] }
    data.operations.forEach((operation: unknown, index) => {
      const record = isRecord(operation) ? operation : {}
      entries.push({ label: `operations[${index}]`, id: record.id, body: record.body, name: record.name })
    })
  } else {
    for (const [id, body] of Object.entries(data)) entries.push({ label: JSON.stringify(id), id, body })
  }

  const wrong: string[] = []
  for (const { label, id, body, name } of entries) {
    if (typeof body !== 'string' || body.trim() === '') {
      wrong.push(`${label}: the query text must be a non-empty string`)
      continue
    }
    const hash = sha256Hex(body)
    if (id !== hash) {
      wrong.push(`${label}: the id must be the SHA-256 of the query text, ${hash}`)
      continue
    }
    manifest.set(hash, typeof name === 'string' && name !== '' ? { body, name } : { body })
  }
  if (wrong.length > 0) {
    const more = wrong.length > MAX_LISTED ? ` (and ${wrong.length - MAX_LISTED} more)` : ''
    problems.push(`${where} has ${wrong.length} invalid ${wrong.length === 1 ? 'entry' : 'entries'}: ${wrong.slice(0, MAX_LISTED).join('; ')}${more}`)
  }
  return { manifest, problems }
}

/** Reads and parses a manifest file (see parseManifest); a missing or unreadable file is a problem too. */
export function readManifest (path: string, setting = 'PERSISTED_QUERIES_FILE'): { manifest: Map<string, PersistedOperation>, problems: string[] } {
  let json: string
  try {
    json = readFileSync(path, 'utf8')
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message
    return { manifest: new Map(), problems: [`${setting} cannot be read (${path}): ${reason}`] }
  }
  return parseManifest(json, `${setting} (${path})`)
}
