import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildManifest } from '../src/graphql/persisted-queries.js'
import { loadSchema } from '../src/graphql/schema.js'

// Writes a persisted-query manifest (PERSISTED_QUERIES_FILE) from GraphQL operation documents:
//
//   npm run persisted-queries -- [--out persisted-queries.json] [file or directory ...]
//
// Directories are searched for *.graphql and *.gql files; without arguments, operations/ of this
// repository. Each named operation becomes one entry of an Apollo persisted-query manifest: its
// text with the fragments it uses (from any of the files), printed canonically, under its SHA-256.
// Operations are validated against schema/ first. Without --out the manifest goes to stdout.
// Apollo Client rewrites documents (it adds __typename): manifests for it come from Apollo's own
// generator (@apollo/generate-persisted-query-manifest), whose output the server reads as well.

const USAGE = 'usage: npm run persisted-queries -- [--out <file>] [<file or directory> ...]'

function documentsIn (path: string): string[] {
  if (!statSync(path).isDirectory()) return [path]
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(graphql|gql)$/.test(file))
    .sort()
    .map((file) => join(path, file))
}

const args = process.argv.slice(2)
let out: string | undefined
const inputs: string[] = []
for (let index = 0; index < args.length; index++) {
  const arg = args[index] as string
  if (arg === '--out' || arg === '-o') {
    out = args[++index]
    if (out === undefined) {
      console.error(USAGE)
      process.exit(2)
    }
  } else if (arg === '--help' || arg === '-h') {
    console.log(USAGE)
    process.exit(0)
  } else {
    inputs.push(arg)
  }
}
if (inputs.length === 0) inputs.push('operations')

let files: Array<{ path: string, text: string }>
try {
  files = inputs.flatMap(documentsIn).map((path) => ({ path, text: readFileSync(path, 'utf8') }))
} catch (err) {
  console.error(`persisted-queries: ${(err as Error).message}`)
  process.exit(1)
}
const { manifest, problems } = buildManifest(files, loadSchema().schema)
if (problems.length > 0) {
  for (const problem of problems) console.error(`persisted-queries: ${problem}`)
  process.exit(1)
}
const json = `${JSON.stringify(manifest, null, 2)}\n`
if (out === undefined) {
  process.stdout.write(json)
} else {
  writeFileSync(out, json)
  console.log(`${out}: ${manifest.operations.length} operations (${manifest.operations.map((o) => o.name).join(', ')}) from ${files.length} files`)
}
