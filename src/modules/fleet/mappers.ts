// What the resolvers of fleet's GraphQL types receive as their parent (codegen.ts reads this
// file: `<Type>Parent` backs the GraphQL type <Type>).

/** FleetSummary's fields are computed on demand, each only when selected. */
export type FleetSummaryParent = Record<string, never>
