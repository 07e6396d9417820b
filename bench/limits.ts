import { parse } from 'graphql'
import { checkComplexity, checkTokens, type QueryLimits } from '../src/graphql/limits.js'
import { loadSchema } from '../src/graphql/schema.js'

// npm run bench:limits: what the abuse limits cost a request, measured in this process. The token
// count runs on every request before parsing (on the raw text); depth, cost and aliases run once
// per operation after validation, on the parsed document. Prints microseconds per check for the
// SPA's dashboard query, a large legitimate query, and a document at the token limit.

const { schema } = loadSchema()
const LIMITS: QueryLimits = { maxTokens: 5000, maxDepth: 12, maxCost: 1_000_000, maxAliases: 10_000 }

const DASHBOARD = `query Dashboard {
  vehicles(first: 50) { nodes { facility { name } currentDriver { name } currentAssignment { startsAt } } }
}`
const LARGE = `query Large($n: Int) {
  fleetSummary { totalVehicles activeDrivers activeAssignments vehiclesByStatus { status count } }
  facilities(first: 10) { nodes { id code name type address vehicles(first: $n) { totalCount nodes { id number name vin make model year status odometer
    currentDriver { id name phone licenseNumber } assignments(first: 5) { nodes { id startsAt endsAt driver { name } } } } } } }
}`
const AT_LIMIT = `{ ${Array.from({ length: 830 }, (_, i) => `a${i}: me { id }`).join(' ')} }`

function microseconds (run: () => void, iterations: number): number {
  for (let i = 0; i < Math.min(iterations, 1000); i++) run()
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) run()
  return Number(process.hrtime.bigint() - start) / 1000 / iterations
}

const rows: Array<Record<string, string | number>> = []
for (const [name, text, variables] of [['dashboard', DASHBOARD, {}], ['large', LARGE, { n: 20 }], ['5,000-token document', AT_LIMIT, {}]] as const) {
  const document = parse(text)
  rows.push({
    query: name,
    characters: text.length,
    'token check (µs)': Number(microseconds(() => { checkTokens(text, LIMITS.maxTokens) }, 5000).toFixed(1)),
    'depth/cost/aliases (µs)': Number(microseconds(() => { checkComplexity(schema, document, variables, LIMITS) }, 5000).toFixed(1)),
    'parse, for scale (µs)': Number(microseconds(() => { parse(text) }, 5000).toFixed(1))
  })
}
console.table(rows)
console.log(`node ${process.version}, ${process.arch}; one core, in process (no HTTP).`)
