/* global React, ReactDOM, GraphiQL, localStorage, fetch, document */
// GraphiQL for Fleet API, served from this service (no CDN). The fetcher keeps the access token
// of the last `login` or `refreshSession` and sends it with every later request, unless the
// headers editor already sets Authorization.
(function () {
  'use strict'
  var TOKEN = 'fleet-api:accessToken'
  var endpoint = document.getElementById('graphiql').getAttribute('data-endpoint')

  function fetcher (params, options) {
    var headers = { 'content-type': 'application/json', accept: 'application/json' }
    var extra = (options && options.headers) || {}
    Object.keys(extra).forEach(function (name) { headers[name.toLowerCase()] = extra[name] })
    var token = localStorage.getItem(TOKEN)
    if (token && !headers.authorization) headers.authorization = 'Bearer ' + token
    return fetch(endpoint, { method: 'POST', headers: headers, body: JSON.stringify(params), credentials: 'same-origin' })
      .then(function (response) { return response.json() })
      .then(function (result) {
        var data = result && result.data
        var session = data && (data.login || data.refreshSession)
        if (session && session.accessToken) localStorage.setItem(TOKEN, session.accessToken)
        if (data && data.logout === true) localStorage.removeItem(TOKEN)
        return result
      })
  }

  var defaultQuery = [
    '# Fleet API. Sign in first: run SignIn (the ▶ button lists the operations).',
    '# Demo users are <role>@fleet.example with the password fleet-demo, e.g.',
    '# admin@, fleet_manager@, dispatcher@, mechanic@, driver@, viewer@fleet.example.',
    '# This page keeps the access token and sends it with every later request.',
    '',
    'mutation SignIn {',
    '  login(email: "fleet_manager@fleet.example", password: "fleet-demo") {',
    '    expiresAt',
    '    user { name role organization { name } }',
    '    accessToken',
    '  }',
    '}',
    '',
    'query Dashboard {',
    '  fleetSummary { totalVehicles activeDrivers activeAssignments vehiclesByStatus { status count } }',
    '  vehicles(first: 10, filter: { status: [ACTIVE] }) {',
    '    totalCount',
    '    nodes { number name odometer(unit: MILES) facility { name } currentDriver { name } }',
    '    pageInfo { hasNextPage endCursor }',
    '  }',
    '}',
    ''
  ].join('\n')

  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: defaultQuery, defaultEditorToolsVisibility: 'headers' })
  )
})()
