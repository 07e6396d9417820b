{{/*
Chart name, or nameOverride. Also the app.kubernetes.io/name label, and so the Prometheus job label
the ServiceMonitor gives the scraped series.
*/}}
{{- define "fleet-api.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's resources: <release>-<name>, or the release name when it contains the
name, or fullnameOverride; at most 63 characters (DNS label).
*/}}
{{- define "fleet-api.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "fleet-api.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "fleet-api.labels" -}}
helm.sh/chart: {{ include "fleet-api.chart" . }}
{{ include "fleet-api.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels that select the API pods (Deployment, Service, PodDisruptionBudget, ServiceMonitor). The
component keeps the migration Job's pods out of the Service.
*/}}
{{- define "fleet-api.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fleet-api.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: api
{{- end }}

{{/* Labels of the migration Job and its pod. */}}
{{- define "fleet-api.migrationLabels" -}}
helm.sh/chart: {{ include "fleet-api.chart" . }}
app.kubernetes.io/name: {{ include "fleet-api.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: migrations
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* ServiceAccount of the API pods. */}}
{{- define "fleet-api.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "fleet-api.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image reference; the tag defaults to the chart's appVersion. */}}
{{- define "fleet-api.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}

{{/* Secret the pods read their secret variables from. */}}
{{- define "fleet-api.secretName" -}}
{{- if .Values.secret.create }}
{{- include "fleet-api.fullname" . }}
{{- else }}
{{- .Values.existingSecret }}
{{- end }}
{{- end }}

{{/*
A configuration value as an environment string: whole numbers without an exponent (values files
hold numbers as float64, and 1000000 would print as 1e+06), fractions as they are, booleans as
true/false.
*/}}
{{- define "fleet-api.envString" -}}
{{- if and (kindIs "float64" .) (eq . (float64 (int64 .))) }}
{{- printf "%d" (int64 .) }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{/*
The non-secret environment as YAML key: "value" lines: the ConfigMap's data, and the migration
Job's env (the Job runs before the ConfigMap exists on a first install). Unset values are left out.
*/}}
{{- define "fleet-api.configData" -}}
HOST: "0.0.0.0"
PORT: {{ include "fleet-api.envString" .Values.containerPort | quote }}
{{- range $name, $value := .Values.config }}
{{- if not (or (kindIs "invalid" $value) (and (kindIs "string" $value) (eq $value ""))) }}
{{ $name }}: {{ include "fleet-api.envString" $value | quote }}
{{- end }}
{{- end }}
{{- if .Values.persistedQueries.manifest }}
PERSISTED_QUERIES_FILE: {{ include "fleet-api.persistedQueriesFile" . | quote }}
{{- end }}
{{- end }}

{{/*
Where the API pods find the manifest of persistedQueries.manifest (its ConfigMap, mounted). The
migration Job gets the variable too but not the file: command-line tools do not read it.
*/}}
{{- define "fleet-api.persistedQueriesDir" -}}
/etc/fleet-api/persisted-queries
{{- end }}
{{- define "fleet-api.persistedQueriesFile" -}}
{{ include "fleet-api.persistedQueriesDir" . }}/manifest.json
{{- end }}

{{/* The Secret's data (base64), without empty values. */}}
{{- define "fleet-api.secretData" -}}
{{- range $name, $value := .Values.secret.values }}
{{- if $value }}
{{ $name }}: {{ $value | toString | b64enc | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* The /tmp emptyDir of the read-only containers. */}}
{{- define "fleet-api.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpDir.sizeLimit }}
{{- end }}

{{/*
Checks across values that the schema cannot express. Included by the Deployment, so that
`helm template`, `helm install` and `helm upgrade` refuse such values before anything changes.
*/}}
{{- define "fleet-api.validate" -}}
{{- $config := .Values.config }}
{{- $shutdownMs := add (int64 $config.SHUTDOWN_DELAY_MS) (int64 $config.SHUTDOWN_GRACE_MS) }}
{{- $graceMs := mul (int64 .Values.terminationGracePeriodSeconds) 1000 }}
{{- if le $graceMs $shutdownMs }}
{{- fail (printf "terminationGracePeriodSeconds (%ds) must be larger than config.SHUTDOWN_DELAY_MS + config.SHUTDOWN_GRACE_MS (%dms): Kubernetes would kill pods that are still finishing requests" (int64 .Values.terminationGracePeriodSeconds) $shutdownMs) }}
{{- end }}
{{- $checkMs := int64 $config.HEALTH_CHECK_TIMEOUT_MS }}
{{- range $probe := list "readiness" "startup" }}
{{- $timeoutMs := mul (int64 (index $.Values.probes $probe).timeoutSeconds) 1000 }}
{{- if ge $checkMs $timeoutMs }}
{{- fail (printf "config.HEALTH_CHECK_TIMEOUT_MS (%dms) must be below probes.%s.timeoutSeconds (%dms): a hanging database must make the probe answer 503, not time out" $checkMs $probe $timeoutMs) }}
{{- end }}
{{- end }}
{{- if .Values.secret.create }}
{{- if .Values.existingSecret }}
{{- fail "set either secret.create (the chart renders the Secret) or existingSecret (you provide it), not both" }}
{{- end }}
{{- if not .Values.secret.values.DATABASE_URL }}
{{- fail "secret.values.DATABASE_URL is required (or set secret.create=false and existingSecret)" }}
{{- end }}
{{- if not .Values.secret.values.JWT_SECRET }}
{{- fail "secret.values.JWT_SECRET is required, at least 32 characters (or set secret.create=false and existingSecret)" }}
{{- end }}
{{- else if not .Values.existingSecret }}
{{- fail "secret.create is false: set existingSecret to the name of a Secret holding DATABASE_URL and JWT_SECRET" }}
{{- end }}
{{- if and .Values.persistedQueries.manifest $config.PERSISTED_QUERIES_FILE }}
{{- fail "set persistedQueries.manifest (the chart mounts it) or config.PERSISTED_QUERIES_FILE (a file already in the image), not both" }}
{{- end }}
{{- if $config.PERSISTED_QUERIES_ONLY }}
{{- if not (or .Values.persistedQueries.manifest $config.PERSISTED_QUERIES_FILE) }}
{{- fail "config.PERSISTED_QUERIES_ONLY needs a manifest: set persistedQueries.manifest or config.PERSISTED_QUERIES_FILE" }}
{{- end }}
{{- if $config.GRAPHIQL }}
{{- fail "config.GRAPHIQL cannot be on with config.PERSISTED_QUERIES_ONLY: GraphiQL's queries are not in the manifest" }}
{{- end }}
{{- end }}
{{- if .Values.podDisruptionBudget.enabled }}
{{- $pdb := .Values.podDisruptionBudget }}
{{- if not (or (kindIs "invalid" $pdb.minAvailable) (kindIs "invalid" $pdb.maxUnavailable)) }}
{{- fail "podDisruptionBudget: set minAvailable or maxUnavailable, not both" }}
{{- end }}
{{- if and (kindIs "invalid" $pdb.minAvailable) (kindIs "invalid" $pdb.maxUnavailable) }}
{{- fail "podDisruptionBudget: set minAvailable or maxUnavailable" }}
{{- end }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
{{- if and (kindIs "invalid" .Values.autoscaling.targetCPUUtilizationPercentage) (kindIs "invalid" .Values.autoscaling.targetMemoryUtilizationPercentage) }}
{{- fail "autoscaling: set targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage" }}
{{- end }}
{{- if gt (int64 .Values.autoscaling.minReplicas) (int64 .Values.autoscaling.maxReplicas) }}
{{- fail "autoscaling: minReplicas must not exceed maxReplicas" }}
{{- end }}
{{- end }}
{{- end }}
