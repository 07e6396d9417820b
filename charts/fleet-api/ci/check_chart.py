"""Static checks of the fleet-api chart that need neither Helm nor a cluster (run by check.sh).

  values      values.yaml (alone, and merged with ci/test-values.yaml) is valid against
              values.schema.json, and the schema refuses typical mistakes
  documented  every key of values.yaml has a comment right above it
  references  every .Values path used in templates/ exists in values.yaml, and every value is used
  metrics     every metric the rules and the dashboard query is one the service exposes (or a
              recording rule of files/slo.rules.yml); every dashboard query compiles (promtool)
  readme      the values table of README.md is the one values.yaml gives (--write-readme updates it)
  config      every variable of the repository README's configuration table reaches the pods

Needs PyYAML only. The jsonschema package is used as well when it is importable; otherwise the
small draft-07 validator below (the keywords values.schema.json uses) does the work alone.
"""

import copy
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

CHART = Path(__file__).resolve().parent.parent
problems: list[str] = []


def problem(message: str) -> None:
    problems.append(message)


# --- a draft-07 subset validator -------------------------------------------------------------

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}
KNOWN_KEYWORDS = {
    "$schema", "$id", "title", "description", "definitions", "type", "properties", "additionalProperties",
    "required", "enum", "minimum", "maximum", "minLength", "maxLength", "pattern", "items", "anyOf", "$ref",
}


def resolve(root: dict, ref: str) -> dict:
    if not ref.startswith("#/"):
        raise ValueError(f"unsupported $ref {ref}")
    node = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def validate(value, schema: dict, root: dict, path: str = "") -> list[str]:
    unknown = set(schema) - KNOWN_KEYWORDS
    if unknown:
        raise ValueError(f"{path or '/'}: the built-in validator does not know {sorted(unknown)}")
    where = path or "(root)"
    if "$ref" in schema:
        return validate(value, resolve(root, schema["$ref"]), root, path)
    if "anyOf" in schema:
        if not any(not validate(value, option, root, path) for option in schema["anyOf"]):
            return [f"{where}: {value!r} matches none of the allowed forms"]
    errors: list[str] = []
    if "type" in schema:
        allowed = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[t](value) for t in allowed):
            return [f"{where}: {value!r} is not of type {' or '.join(allowed)}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{where}: {value} is below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{where}: {value} is above the maximum {schema['maximum']}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(f"{where}: {value!r} is shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{where}: {value!r} is longer than {schema['maxLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{where}: {name} is required")
        for name, item in value.items():
            child = f"{path}.{name}" if path else name
            if name in properties:
                errors += validate(item, properties[name], root, child)
            else:
                extra = schema.get("additionalProperties", True)
                if extra is False:
                    errors.append(f"{where}: unknown key {name}")
                elif isinstance(extra, dict):
                    errors += validate(item, extra, root, child)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors += validate(item, schema["items"], root, f"{path}[{index}]")
    return errors


def schema_errors(values: dict, schema: dict) -> list[str]:
    errors = validate(values, schema, schema)
    try:
        import jsonschema  # optional: a second opinion, and a check of the schema itself
    except ImportError:
        return errors
    jsonschema.Draft7Validator.check_schema(schema)
    theirs = [f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
              for e in jsonschema.Draft7Validator(schema).iter_errors(values)]
    if bool(theirs) != bool(errors):
        problem(f"validators disagree: built-in {errors or 'valid'}, jsonschema {theirs or 'valid'}")
    return errors or theirs


def merge(base: dict, override: dict) -> dict:
    """Helm's merge of user values over the chart's: maps merge deeply, a null deletes the key."""
    result = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def check_values(values: dict, schema: dict) -> None:
    for error in schema_errors(values, schema):
        problem(f"values.yaml: {error}")
    test_values = yaml.safe_load((CHART / "ci/test-values.yaml").read_text())
    for error in schema_errors(merge(values, test_values), schema):
        problem(f"ci/test-values.yaml: {error}")
    # Mistakes the schema must refuse.
    refused = {
        "an unknown top-level key": {"replicas": 3},
        "an unknown config variable": {"config": {"DB_POOL_SIZE": 10}},
        "a development NODE_ENV": {"config": {"NODE_ENV": "development"}},
        "a number as a string": {"config": {"DB_POOL_MAX": "20"}},
        "a pool beyond the service's range": {"config": {"DB_POOL_MAX": 5000}},
        "a non-PostgreSQL DATABASE_URL": {"secret": {"values": {"DATABASE_URL": "mysql://db/fleet"}}},
        "a short JWT_SECRET": {"secret": {"values": {"JWT_SECRET": "too-short"}}},
        "a sample rate above 1": {"config": {"SENTRY_TRACES_SAMPLE_RATE": 10}},
        "a sample rate string above 1": {"config": {"SENTRY_TRACES_SAMPLE_RATE": "1.5"}},
        "a connection string without instrumentation key": {"secret": {"values": {"APPLICATIONINSIGHTS_CONNECTION_STRING": "x"}}},
        "an unknown secret key": {"secret": {"values": {"PASSWORD": "x"}}},
        "a malformed maxSurge": {"strategy": {"maxSurge": "lots"}},
        "a malformed scrape interval": {"serviceMonitor": {"interval": "30 seconds"}},
        "a runbook URL without trailing slash": {"prometheusRule": {"runbookBaseUrl": "https://example.invalid/repo"}},
        "an unknown probe setting": {"probes": {"liveness": {"path": "/"}}},
    }
    for mistake, override in refused.items():
        if not validate(merge(values, override), schema, schema):
            problem(f"values.schema.json accepts {mistake}: {json.dumps(override)}")


# --- values.yaml documentation and README table -----------------------------------------------

KEY_LINE = re.compile(r"^(\s*)([A-Za-z_][A-Za-z0-9_]*):(.*)$")


def documented_keys(text: str) -> list[tuple[str, str]]:
    """(dotted path, comment above it) for every key of values.yaml, in file order."""
    entries: list[tuple[str, str]] = []
    stack: list[tuple[int, str]] = []
    comment: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("#"):
            comment.append(stripped.lstrip("#").strip())
            continue
        match = KEY_LINE.match(line)
        if not match:
            if stripped not in ("", "---") and not stripped.startswith("- "):
                problem(f"values.yaml:{number}: cannot read this line")
            comment = []
            continue
        indent = len(match.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = ".".join([name for _, name in stack] + [match.group(2)])
        if not comment:
            problem(f"values.yaml:{number}: {path} has no comment above it")
        entries.append((path, " ".join(comment)))
        stack.append((indent, match.group(2)))
        comment = []
    return entries


def lookup(values: dict, path: str):
    node = values
    for part in path.split("."):
        node = node[part]
    return node


def readme_table(values: dict, entries: list[tuple[str, str]]) -> str:
    rows = ["| Value | Default | Meaning |", "|---|---|---|"]
    for path, doc in entries:
        value = lookup(values, path)
        if isinstance(value, dict) and value:
            continue  # a section: its keys have rows of their own
        default = json.dumps(value, separators=(", ", ": "))
        rows.append(f"| `{path}` | `{default}` | {doc.replace('|', '&#124;')} |")
    return "\n".join(rows)


def check_readme(values: dict, entries: list[tuple[str, str]], write: bool) -> None:
    readme = CHART / "README.md"
    text = readme.read_text()
    start, end = "<!-- values:start (generated by ci/check_chart.py --write-readme) -->", "<!-- values:end -->"
    if start not in text or end not in text:
        problem(f"README.md: the markers {start} and {end} are missing")
        return
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    wanted = f"{head}{start}\n{readme_table(values, entries)}\n{end}{tail}"
    if wanted != text:
        if write:
            readme.write_text(wanted)
            print("README.md: values table updated")
        else:
            problem("README.md: the values table differs from values.yaml (run: python3 ci/check_chart.py --write-readme)")


# --- template references ----------------------------------------------------------------------

VALUES_REF = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


def check_references(values: dict, entries: list[tuple[str, str]]) -> None:
    used: set[str] = set()
    for template in sorted((CHART / "templates").iterdir()):
        for match in VALUES_REF.finditer(template.read_text()):
            path = match.group(1)[1:]
            used.add(path)
            try:
                lookup(values, path)
            except (KeyError, TypeError):
                problem(f"templates/{template.name}: .Values.{path} is not in values.yaml")
    for path, _ in entries:
        value = lookup(values, path)
        if isinstance(value, dict) and value:
            continue  # a section is used through its keys
        prefixes = {".".join(path.split(".")[:n]) for n in range(1, path.count(".") + 2)}
        if not prefixes & used:
            problem(f"values.yaml: {path} is used by no template")


# --- metric names -----------------------------------------------------------------------------

# What GET /health/metrics exposes (src/telemetry/instruments.ts, src/plugins/metrics.ts and the
# Node.js default metrics of the Prometheus client), plus Prometheus' own `up`.
HISTOGRAMS = {
    "http_request_duration_seconds", "fleet_api_graphql_operation_duration_seconds",
    "fleet_api_db_query_duration_seconds", "fleet_api_redis_command_duration_seconds",
}
SERVICE_METRICS = {
    "fleet_api_graphql_errors_total", "fleet_api_db_query_failures_total", "fleet_api_db_pool_connections",
    "fleet_api_db_pool_exhausted_total", "fleet_api_redis_command_failures_total", "fleet_api_cache_requests_total",
    "fleet_api_build_info", "fleet_api_memory_limit_bytes", "fleet_api_positions_ingested_total",
    "fleet_api_graphql_subscriptions_open",
}
RUNTIME_METRICS = {
    "process_resident_memory_bytes", "process_cpu_seconds_total", "nodejs_heap_size_used_bytes",
    "nodejs_eventloop_lag_p99_seconds", "up",
}
EXPOSED = SERVICE_METRICS | RUNTIME_METRICS | {f"{h}_{s}" for h in HISTOGRAMS for s in ("bucket", "sum", "count")}
METRIC_TOKEN = re.compile(r"\b((?:fleet_api|http|process|nodejs)_[a-z0-9_]+|up(?=\{)|job_namespace:[a-z0-9_:]+)")


def check_source_names() -> None:
    """The service must still declare the fleet_api_* names the chart relies on."""
    source = CHART.parent.parent / "src/telemetry/instruments.ts"
    if not source.exists():
        return
    declared = set(re.findall(r"name: '([a-z0-9_]+)'", source.read_text()))
    for name in sorted((SERVICE_METRICS | HISTOGRAMS) - declared):
        if name.startswith("fleet_api_"):
            problem(f"{name} is no longer declared in src/telemetry/instruments.ts")


def check_metrics() -> None:
    recorded: set[str] = set()
    expressions: list[tuple[str, str]] = []
    for rule_file in sorted((CHART / "files").glob("*.rules.yml")):
        for group in yaml.safe_load(rule_file.read_text())["groups"]:
            for rule in group["rules"]:
                if "record" in rule:
                    recorded.add(rule["record"])
                expressions.append((f"files/{rule_file.name}: {rule.get('alert') or rule.get('record')}", rule["expr"]))
    dashboard = json.loads((CHART / "files/dashboard.json").read_text())
    queries: list[tuple[str, str]] = []
    for panel in dashboard["panels"]:
        if panel["type"] != "row" and not panel.get("targets"):
            problem(f"dashboard: panel {panel['title']!r} has no query")
        for target in panel.get("targets", []):
            queries.append((f"dashboard: {panel['title']}", target["expr"]))
    for annotation in dashboard["annotations"]["list"]:
        if "expr" in annotation:
            queries.append((f"dashboard annotation: {annotation['name']}", annotation["expr"]))
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            queries.append((f"dashboard variable: {variable['name']}", variable["definition"]))
    for where, expr in expressions + queries:
        names = METRIC_TOKEN.findall(expr)
        if not names:
            problem(f"{where}: queries no known metric: {expr}")
        for name in names:
            if name not in EXPOSED and name not in recorded:
                problem(f"{where}: {name} is not a metric the service exposes")
    # Every dashboard query must parse: compile each as a recording rule with the Grafana
    # variables replaced by values.
    substitutions = {"$__rate_interval": "1m", "$__range": "6h", "$job": "fleet-api", "$namespace": ".*"}
    rules = []
    for index, (where, expr) in enumerate(queries):
        if expr.startswith("label_values("):
            continue
        for variable, replacement in substitutions.items():
            expr = expr.replace(variable, replacement)
        rules.append({"record": f"dashboard:query_{index}", "expr": expr})
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as handle:
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, handle)
        handle.flush()
        result = subprocess.run(["promtool", "check", "rules", handle.name], capture_output=True, text=True)
        if result.returncode != 0:
            problem(f"dashboard queries do not compile:\n{result.stdout}{result.stderr}")
    print(f"metrics: {len(expressions)} rule expressions and {len(queries)} dashboard queries use exposed metrics")


# Variables of the service's configuration table that the chart sets itself or leaves out on purpose.
FIXED_BY_CHART = {"HOST", "PORT"}
DEVELOPMENT_ONLY = {"DATA_DIR", "EMBEDDED_TEMPLATE_CACHE", "MIGRATE_ON_START"}


def check_config_coverage(values: dict) -> None:
    """The chart must offer every variable src/config.ts reads (the repository README's table)."""
    readme = CHART.parent.parent / "README.md"
    if not readme.exists() or "<!-- config:start" not in readme.read_text():
        return
    table = readme.read_text().split("<!-- config:start", 1)[1].split("<!-- config:end", 1)[0]
    variables = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", table, re.MULTILINE))
    offered = set(values["config"]) | set(values["secret"]["values"]) | FIXED_BY_CHART | DEVELOPMENT_ONLY
    for name in sorted(variables - offered):
        problem(f"README.md (repository) configures {name}, which the chart neither sets nor offers in config or secret.values")
    for name in sorted(set(values["config"]) - variables):
        problem(f"values.yaml: config.{name} is not a variable of the repository README's configuration table")


def main() -> int:
    write = "--write-readme" in sys.argv[1:]
    values_text = (CHART / "values.yaml").read_text()
    values = yaml.safe_load(values_text)
    schema = json.loads((CHART / "values.schema.json").read_text())
    check_values(values, schema)
    entries = documented_keys(values_text)
    check_references(values, entries)
    check_source_names()
    check_config_coverage(values)
    check_metrics()
    check_readme(values, entries, write)
    for message in problems:
        print(f"FAIL {message}", file=sys.stderr)
    if not problems:
        print(f"values: {len(entries)} documented keys, valid against values.schema.json; template references resolve")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
