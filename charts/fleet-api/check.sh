#!/usr/bin/env bash
# Checks the fleet-api chart without a cluster; exits non-zero on the first failure. Runs from any
# directory. Needs yamllint, promtool (Debian: yamllint, prometheus) and Python 3 with PyYAML
# (Debian: python3-yaml, which yamllint brings). Helm is optional: with `helm` on the PATH, or
# HELM=/path/to/helm, the chart is also linted and rendered.
set -euo pipefail
chart="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$chart"

step () { printf '\n==> %s\n' "$1"; }
need () {
  command -v "$1" >/dev/null || { echo "check.sh: $1 is missing (apt-get install -y $2)" >&2; exit 1; }
}
need yamllint yamllint
need promtool prometheus
python=""
for candidate in python3 /usr/bin/python3; do
  if "$candidate" -c 'import yaml' 2>/dev/null; then python="$candidate"; break; fi
done
[ -n "$python" ] || { echo "check.sh: no python3 with PyYAML (apt-get install -y python3-yaml)" >&2; exit 1; }

step "yamllint: Chart.yaml, values.yaml, files/, tests/, ci/ (templates/ are Go templates)"
yamllint --strict -c .yamllint .

step "promtool check rules"
promtool check rules files/*.rules.yml

step "promtool test rules"
promtool test rules tests/*.test.yml

step "JSON: dashboard and values schema"
"$python" -m json.tool files/dashboard.json >/dev/null
"$python" -m json.tool values.schema.json >/dev/null
echo "files/dashboard.json and values.schema.json parse"

step "values, documentation, template references, metric names, README table"
"$python" ci/check_chart.py

helm="${HELM:-helm}"
if ! command -v "$helm" >/dev/null; then
  step "helm: not installed, lint and render skipped (set HELM=/path/to/helm to run them)"
  exit 0
fi

step "helm lint --strict"
"$helm" lint --strict . -f ci/test-values.yaml

step "helm template: everything on, and the rendered rules are the files' rules"
rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT
"$helm" template fleet-api . -f ci/test-values.yaml >"$rendered/all.yaml"
"$helm" template fleet-api . -f ci/test-values.yaml --show-only templates/prometheusrule.yaml >"$rendered/rule.yaml"
"$python" - "$rendered" <<'PY'
import json, sys, yaml
from pathlib import Path
out = Path(sys.argv[1])
docs = [d for d in yaml.safe_load_all((out / "all.yaml").read_text()) if d]
kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in docs)
print("rendered:", ", ".join(kinds))
expected = {"ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Job", "PodDisruptionBudget",
            "PrometheusRule", "Secret", "Service", "ServiceAccount", "ServiceMonitor"}
missing = expected - {d["kind"] for d in docs}
assert not missing, f"not rendered: {missing}"
deployment = next(d for d in docs if d["kind"] == "Deployment")
pod = deployment["spec"]["template"]["spec"]
container = pod["containers"][0]
assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
assert container["livenessProbe"]["httpGet"]["path"] == "/health/liveness" and container["livenessProbe"]["timeoutSeconds"] == 1
assert container["readinessProbe"]["httpGet"]["path"] == "/health/readiness" and container["readinessProbe"]["timeoutSeconds"] == 3
assert container["startupProbe"]["httpGet"]["path"] == "/health/startup" and container["startupProbe"]["timeoutSeconds"] == 10
assert container["securityContext"]["readOnlyRootFilesystem"] is True
assert pod["securityContext"]["runAsUser"] == 1000
dashboard = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-dashboard"))
assert json.loads(dashboard["data"]["fleet-api.json"]) == json.loads(Path("files/dashboard.json").read_text())
rule = yaml.safe_load((out / "rule.yaml").read_text())
files = [g for f in ("files/alerts.rules.yml", "files/slo.rules.yml") for g in yaml.safe_load(Path(f).read_text())["groups"]]
base = "https://git.example.invalid/fleet-api/-/blob/main/"
for group in files:
    for r in group["rules"]:
        if "runbook_url" in r.get("annotations", {}):
            r["annotations"]["runbook_url"] = base + r["annotations"]["runbook_url"]
assert rule["spec"]["groups"] == files, "the PrometheusRule differs from files/*.rules.yml"
(out / "groups.yml").write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
print("PrometheusRule groups equal files/*.rules.yml; dashboard ConfigMap equals files/dashboard.json")
PY
promtool check rules "$rendered/groups.yml"

step "helm template: values the chart must refuse"
refuse () {
  local expected="$1"; shift
  local output
  if output="$("$helm" template fleet-api . "$@" 2>&1)"; then
    echo "accepted, but should fail with \"$expected\": $*" >&2; exit 1
  fi
  grep -qF "$expected" <<<"$output" || { echo "failed without \"$expected\": $output" >&2; exit 1; }
  echo "refused ($expected): $*"
}
refuse "secret.values.DATABASE_URL is required"
refuse "must be larger than config.SHUTDOWN_DELAY_MS + config.SHUTDOWN_GRACE_MS" -f ci/test-values.yaml --set terminationGracePeriodSeconds=30
refuse "must be below probes.readiness.timeoutSeconds" -f ci/test-values.yaml --set config.HEALTH_CHECK_TIMEOUT_MS=3000
refuse "set existingSecret" -f ci/test-values.yaml --set secret.create=false
refuse "values don't meet the specifications of the schema" -f ci/test-values.yaml --set replicas=3
refuse "config.PERSISTED_QUERIES_ONLY needs a manifest" -f ci/test-values.yaml --set config.PERSISTED_QUERIES_ONLY=true --set persistedQueries.manifest=
refuse "or config.PERSISTED_QUERIES_FILE (a file already in the image), not both" -f ci/test-values.yaml --set config.PERSISTED_QUERIES_FILE=/app/persisted-queries.json
refuse "values don't meet the specifications of the schema" -f ci/test-values.yaml --set config.NODE_ENV=development
echo
echo "check.sh: all checks passed"
