import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildSchema, type GraphQLSchema } from 'graphql'

// schema/*.graphql, seen from src/graphql (sources) or dist/src/graphql (the build copies schema/ to dist/schema).
const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url))

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
