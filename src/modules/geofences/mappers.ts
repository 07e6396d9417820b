import type { Page } from '../../graphql/pagination.js'
import type { GeofenceEventRow, GeofenceRow } from './tables.js'

// What the resolvers of geofences' GraphQL types receive as their parent (codegen.ts reads this
// file: `<Type>Parent` backs the GraphQL type <Type>).

export type GeofenceParent = GeofenceRow
export type GeofenceConnectionParent = Page<GeofenceRow>
export type GeofenceEventParent = GeofenceEventRow
export type GeofenceEventConnectionParent = Page<GeofenceEventRow>
