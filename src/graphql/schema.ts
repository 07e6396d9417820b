import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildSchema, type GraphQLSchema } from 'graphql'

// schema/*.graphql, seen from src/graphql (sources) or dist/src/graphql (the build copies schema/ to dist/schema).
const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url))

/** The SDL files' names without `.graphql`: one per module (src/modules/<name>/), and `common`. */
export function schemaFiles (dir = SCHEMA_DIR): string[] {
  return readdirSync(dir).filter((file) => file.endsWith('.graphql')).map((file) => file.slice(0, -'.graphql'.length)).sort()
}

/** What is wrong with the SDL files given the registered modules: a file no module owns, a module without its file. */
export function schemaFileProblems (moduleNames: readonly string[], dir = SCHEMA_DIR): string[] {
  const files = schemaFiles(dir)
  return [
    ...files.filter((file) => file !== 'common' && !moduleNames.includes(file)).map((file) => `schema/${file}.graphql belongs to no registered module (src/modules/index.ts)`),
    ...moduleNames.filter((name) => !files.includes(name)).map((name) => `module ${name} has no schema/${name}.graphql`)
  ]
}

export function loadTypeDefs (dir = SCHEMA_DIR): string {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(join(dir, file), 'utf8'))
    .join('\n')
}

export function loadSchema (): { typeDefs: string, schema: GraphQLSchema } {
  const typeDefs = loadTypeDefs()
  return { typeDefs, schema: buildSchema(typeDefs) }
}
