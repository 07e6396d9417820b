import { DISPATCHERS, PEOPLE_READERS } from '../identity/permissions.js'
import { defineModule } from '../module.js'
import { assignmentLoaders } from './loaders.js'
import { assignmentResolvers } from './resolvers.js'
import { assignmentConstraints } from './validation.js'

// Who drives which vehicle when; overlaps are refused by the database.

export const assignmentsModule = defineModule({
  name: 'assignments',
  resolvers: assignmentResolvers,
  loaders: { assignments: assignmentLoaders },
  access: {
    Query: {
      assignment: PEOPLE_READERS,
      assignments: PEOPLE_READERS
    },
    Mutation: {
      assignDriver: DISPATCHERS,
      endAssignment: DISPATCHERS,
      cancelAssignment: DISPATCHERS
    }
  },
  driverOwnRows: ['Query.assignment', 'Query.assignments'],
  features: {
    assignments: {
      description: 'Assigning drivers to vehicles, ending and cancelling assignments',
      fields: ['Mutation.assignDriver', 'Mutation.endAssignment', 'Mutation.cancelAssignment']
    }
  },
  constraints: assignmentConstraints
})
