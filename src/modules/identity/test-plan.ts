import { ok } from '../../../test/helpers/graphql.js'
import { type ModuleTestPlan, ids, open, own, TAKE_OVER } from '../../../test/helpers/plans/index.js'

// Identity's entries in the cross-cutting suites (test/helpers/plans/): users, sessions, passwords.

const PASSWORD = 'fleet-demo'

export const testPlan: ModuleTestPlan = {
  isolation: {
    fields: {
      Query: {
        me: own('the caller themself'),
        user: ids(),
        users: own('a list without id arguments', {
          probes: ({ a }) => [{ filter: { search: a.state.me.email } }],
          check: (t, d, { b }) => t.equal(d.users.totalCount, b.state.users.totalCount, 'users: only B\'s')
        })
      },
      Mutation: {
        login: open('email and password, no ids'),
        refreshSession: open('a refresh token, no ids'),
        logout: open('a refresh token, no ids'),
        changePassword: open('the caller\'s own password, no ids'),
        createUser: ids({ args: () => ({ input: { email: 'isolation-new@other.example', name: 'Isolation', role: 'VIEWER' } }) }),
        updateUser: ids({ args: () => TAKE_OVER }),
        deactivateUser: ids(),
        reactivateUser: ids(),
        resetUserPassword: ids()
      }
    },
    entities: { user: (s) => [['user', s.me]] },
    state: {
      selection: `me { id name email version }
        users(first: 50) { totalCount nodes { id email name role active mustChangePassword version updatedAt } }`,
      lists: ['users']
    },
    identifiers: (s) => [s.me.id, s.me.name, s.me.email, ...s.users.nodes.flatMap((u: any) => [u.id, u.email])]
  },
  roles: {
    reach: { User: (selection) => `{ me { ${selection} } }` }
  },
  audit: {
    login: { as: 'viewer', entity: 'User', action: 'SIGN_IN', call: async (c) => await c.gql('mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', { e: 'viewer@fleet.example', p: PASSWORD }) },
    refreshSession: { exempt: 'rotates a refresh token; records SESSION_REVOKED when a used one is replayed (tested below)' },
    logout: {
      as: 'viewer',
      entity: 'User',
      action: 'SIGN_OUT',
      call: async (c) => {
        const { login } = ok(await c.gql<any>('mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { refreshToken } }', { e: 'viewer@fleet.example', p: PASSWORD }))
        return await c.gql('mutation ($r: String!) { logout(refreshToken: $r) }', { r: login.refreshToken })
      }
    },
    changePassword: {
      as: 'dispatcher',
      entity: 'User',
      action: 'UPDATE',
      call: async (c) => {
        const response = await c.gql<any>('mutation { changePassword(currentPassword: "fleet-demo", newPassword: "a much longer passphrase") { accessToken } }', {}, c.token.dispatcher)
        // The change ends the caller's other sessions, the one of this token too: carry on with the new one.
        c.token.dispatcher = ok(response).changePassword.accessToken
        return response
      }
    },
    createUser: { as: 'admin', entity: 'User', action: 'CREATE', call: async (c) => await c.gql('mutation { createUser(input: { email: "new.hire@fleet.example", name: "New Hire", role: VIEWER, password: "correct horse battery" }) { user { id } } }', {}, c.token.admin) },
    updateUser: { as: 'admin', entity: 'User', action: 'UPDATE', call: async (c) => await c.gql('mutation ($id: ID!) { updateUser(id: $id, input: { expectedVersion: 1, name: "Vera Viewer" }) { id } }', { id: c.ids.viewer }, c.token.admin) },
    deactivateUser: { as: 'admin', entity: 'User', action: 'UPDATE', call: async (c) => await c.gql('mutation ($id: ID!) { deactivateUser(id: $id) { id } }', { id: c.ids.viewer }, c.token.admin) },
    reactivateUser: { as: 'admin', entity: 'User', action: 'UPDATE', call: async (c) => await c.gql('mutation ($id: ID!) { reactivateUser(id: $id) { id } }', { id: c.ids.viewer }, c.token.admin) },
    resetUserPassword: { as: 'admin', entity: 'User', action: 'UPDATE', call: async (c) => await c.gql('mutation ($id: ID!) { resetUserPassword(id: $id) { temporaryPassword } }', { id: c.ids.viewer }, c.token.admin) }
  },
  hostile: {
    ids: { user: async (h) => (await h.get('{ me { id } }', {}, await h.login('viewer@fleet.example'))).me.id },
    self: {
      changePassword: {
        email: 'mechanic@fleet.example',
        fixed: (self) => ({ currentPassword: self.password }),
        // Stored verbatim means: exactly the text sent signs in now.
        accepted: async (h, self, value) => {
          const login = await h.ask('mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', { e: self.email, p: value }, null)
          const token = login.body?.data?.login?.accessToken
          if (typeof token !== 'string') return `the new password does not sign in: ${login.text.slice(0, 160)}`
          Object.assign(self, { password: value, token })
          return null
        }
      }
    },
    unique: { email: (n) => `hostile-${n}@fleet.example` },
    // Sign-ins and sign-outs each open or end a session of their own.
    concurrent: ['login', 'refreshSession', 'logout']
  }
}
