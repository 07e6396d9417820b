// What the resolvers of operations' GraphQL types receive as their parent (codegen.ts reads this
// file: `<Type>Parent` backs the GraphQL type <Type>).

export type { FlagState as FeatureFlagParent, MaintenanceState as MaintenanceModeParent } from './switchboard.js'
