import type { Page } from '../../graphql/pagination.js'
import type { DueRow } from './due.js'
import type { MaintenanceScheduleRow, ServiceRecordRow, ServiceTaskRow } from './tables.js'

// What the resolvers of maintenance-schedules' GraphQL types receive as their parent (codegen.ts
// reads this file: `<Type>Parent` backs the GraphQL type <Type>).

export type ServiceTaskParent = ServiceTaskRow
export type ServiceTaskConnectionParent = Page<ServiceTaskRow>
export type MaintenanceScheduleParent = MaintenanceScheduleRow
export type MaintenanceScheduleConnectionParent = Page<MaintenanceScheduleRow>
export type MaintenanceDueParent = DueRow
export type MaintenanceDueConnectionParent = Page<DueRow>
export type ServiceRecordParent = ServiceRecordRow
export type ServiceRecordConnectionParent = Page<ServiceRecordRow>
