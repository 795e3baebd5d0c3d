#!/usr/bin/env python3
"""Writes charts/adq/values.schema.json from charts/adq/values.yaml.

The chart's own objects get `additionalProperties: false` and every key required (helm
validates the values merged over the defaults, so a user only writes what changes); the
types come from the defaults, plus the enums, ranges and nullables below. Kubernetes
pass-through structures (affinity, tolerations, security contexts, NetworkPolicy peers, …)
are typed as objects/arrays only: the API server validates their insides.
Run after changing values.yaml: python3 scripts/k8s-tools-schema.py (needs python3-yaml).
With --check it writes nothing and exits 1 when either file is out of date (the tests do).
"""
import json
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
VALUES = ROOT / "charts/adq/values.yaml"
OUT = ROOT / "charts/adq/values.schema.json"
CHECK = "--check" in sys.argv[1:]
stale = []


def emit(path, text):
    if CHECK:
        if not path.exists() or path.read_text() != text:
            stale.append(str(path.relative_to(ROOT)))
        return
    path.write_text(text)
    print(f"wrote {path.relative_to(ROOT)}")

STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
QUANTITY = {"type": ["string", "number"]}
K8S_OBJECT = {"type": "object"}
K8S_LIST = {"type": "array", "items": {"type": "object"}}
STRINGS = {"type": "array", "items": {"type": "string"}}
INT_OR_STRING = {"type": ["integer", "string"]}
PORT = {"type": "integer", "minimum": 1, "maximum": 65535}

# By key name, wherever it occurs.
BY_NAME = {
    "nodeSelector": STRING_MAP,
    "annotations": STRING_MAP,
    "labels": STRING_MAP,
    "podAnnotations": STRING_MAP,
    "podLabels": STRING_MAP,
    "affinity": K8S_OBJECT,
    "hpaBehavior": K8S_OBJECT,
    "tolerations": K8S_LIST,
    "extraEnv": K8S_LIST,
    "extraVolumes": K8S_LIST,
    "extraVolumeMounts": K8S_LIST,
    "extraRules": K8S_LIST,
    "dnsTo": K8S_LIST,
    "natsTo": K8S_LIST,
    "apiServerTo": K8S_LIST,
    "clientsFrom": K8S_LIST,
    "monitoringFrom": K8S_LIST,
    "natsPorts": {"type": "array", "items": PORT},
    "apiServerPorts": {"type": "array", "items": PORT},
    "gatewayDnsNames": STRINGS,
    "gatewayFrom": K8S_LIST,
    "metricsFrom": K8S_LIST,
    "parentRefs": K8S_LIST,
    "podSecurityContext": K8S_OBJECT,
    "securityContext": K8S_OBJECT,
    "extraArgs": STRINGS,
    "pullSecrets": STRINGS,
    "hostnames": STRINGS,
    "port": PORT,
    "resources": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "requests": {"type": "object", "additionalProperties": QUANTITY},
            "limits": {"type": "object", "additionalProperties": QUANTITY},
        },
    },
    "pdb": {
        "type": "object",
        "additionalProperties": False,
        "required": ["enabled"],
        "properties": {
            "enabled": {"type": "boolean"},
            "minAvailable": INT_OR_STRING,
            "maxUnavailable": INT_OR_STRING,
        },
        "not": {"required": ["minAvailable", "maxUnavailable"]},
    },
    "tenants": {
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "keys"],
            "properties": {
                "id": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
                "keys": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                "quotas": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
                # Data grants (SECURITY.md, "Data grants"): a file root, or an S3 prefix with an
                # optional credentials file (from s3.grantCredentialsSecret).
                "data": {
                    "type": "array",
                    "items": {
                        "oneOf": [
                            {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["root"],
                                "properties": {"root": {"type": "string", "pattern": "^/"}},
                            },
                            {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["s3"],
                                "properties": {
                                    "s3": {"type": "string", "pattern": "^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$"},
                                    "credentials_file": {"type": "string", "pattern": "^/"},
                                },
                            },
                        ]
                    },
                },
            },
        },
    },
}

# By dotted path (stages.* matches every stage).
BY_PATH = {
    # an umbrella chart's shared values: accepted whatever they hold
    "global": {"type": "object"},
    "image.digest": {"type": "string", "pattern": "^(sha256:[a-f0-9]{64})?$"},
    "stages.*.image.digest": {"type": "string", "pattern": "^(sha256:[a-f0-9]{64})?$"},
    "stages.*.image.pullPolicy": {"type": "string", "enum": ["", "Always", "IfNotPresent", "Never"]},
    "metrics.prometheusRule.failedJobsRatio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
    "metrics.prometheusRule.stuckQueueFor": {"type": "string", "pattern": "^[0-9]+[smh]$"},
    "metrics.prometheusRule.failedJobsWindow": {"type": "string", "pattern": "^[0-9]+[smh]$"},
    "tests.job.method": {"type": "string", "enum": ["adq", "adq-paper", "dq", "random", "ccs"]},
    "tests.job.ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
    "controller.instance": {"type": "string", "pattern": "^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$"},
    "nats.auth.type": {"type": "string", "enum": ["none", "creds", "password"]},
    "networkPolicy.nats.podSelector": K8S_OBJECT,
    "logLevel": {"type": "string", "enum": ["debug", "info", "warn", "error"]},
    "image.pullPolicy": {"type": "string", "enum": ["Always", "IfNotPresent", "Never"]},
    "image.repository": {"type": "string", "minLength": 1},
    "busNamespace": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
    "nats.url": {"type": "string", "minLength": 1},
    "autoscaling.engine": {"type": "string", "enum": ["keda", "hpa", "none"]},
    "storage.data.type": {"type": "string", "enum": ["none", "pvc", "hostPath"]},
    "storage.uploads.type": {"type": "string", "enum": ["none", "pvc", "hostPath"]},
    "gateway.service.type": {"type": "string", "enum": ["ClusterIP", "NodePort", "LoadBalancer"]},
    "topologySpread.whenUnsatisfiable": {"type": "string", "enum": ["ScheduleAnyway", "DoNotSchedule"]},
    "stages.*.autoscaling.minReplicas": {"type": ["integer", "null"], "minimum": 0},
    "stages.*.autoscaling.maxReplicas": {"type": "integer", "minimum": 1},
    "stages.*.gpu.count": {"type": "integer", "minimum": 1},
    "stages.*.threads": {"type": "integer", "minimum": 0},
    "stages.*.concurrency": {"type": "integer", "minimum": 1},
    "coordinator.concurrency": {"type": "integer", "minimum": 1},
    "cluster.ackWaitMs": {"type": "integer", "minimum": 100},
    "cluster.maxAttempts": {"type": "integer", "minimum": 1},
    "coordinator.cacheRetentionHours": {"type": "number", "exclusiveMinimum": 0},
    "scratch.tmpSizeLimit": QUANTITY,
    "scratch.cacheSizeLimit": QUANTITY,
}


def lookup(path):
    if path in BY_PATH:
        return BY_PATH[path]
    parts = path.split(".")
    if len(parts) > 2 and parts[0] == "stages":
        star = ".".join(["stages", "*", *parts[2:]])
        if star in BY_PATH:
            return BY_PATH[star]
    return BY_NAME.get(parts[-1])


def schema(value, path):
    fixed = lookup(path)
    if fixed is not None:
        return fixed
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer", "minimum": 0}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, dict):
        return {
            "type": "object",
            "additionalProperties": False,
            "required": list(value.keys()),
            "properties": {k: schema(v, f"{path}.{k}" if path else k) for k, v in value.items()},
        }
    sys.exit(f"no schema rule for {path} ({type(value).__name__}): add one to BY_NAME/BY_PATH")


values = yaml.safe_load(VALUES.read_text())
out = {"$schema": "https://json-schema.org/draft-07/schema#", "title": "adq chart values", **schema(values, "")}
emit(OUT, json.dumps(out, indent=2) + "\n")


# ---- README values table (between the markers in charts/adq/README.md) ----
def comments_by_path(text):
    """`# -- text` comment blocks (continued by `# ` lines) keyed by the dotted path of the key below."""
    out, stack, pending = {}, [], []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("# --"):
            pending = [s[4:].strip()]
            continue
        if s.startswith("#"):
            if pending:
                pending.append(s[1:].strip())
            continue
        if not s or s.startswith("- ") or ":" not in s:
            continue
        indent = len(line) - len(line.lstrip())
        key = s.split(":", 1)[0].strip()
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, key))
        if pending:
            out[".".join(k for _, k in stack)] = " ".join(pending)
            pending = []
    return out


def leaves(value, path, out):
    fixed = lookup(path) if path else None
    if isinstance(value, dict) and value and (fixed is None or fixed.get("additionalProperties") is False) and path.split(".")[-1] not in ("resources",):
        for k, v in value.items():
            leaves(v, f"{path}.{k}" if path else k, out)
    else:
        out.append((path, value))


text = VALUES.read_text()
docs = comments_by_path(text)
rows = []
leaves(values, "", rows)
lines = ["| key | default | description |", "| --- | --- | --- |"]
# Descriptions of keys the values file leaves uncommented, by the end of their path.
SUFFIX_DOCS = {
    "pullPolicy": "Image pull policy.",
    "apiKeys.key": "File name of the API keys file inside the Secret.",
    "grpcTls.enabled": "Serve gRPC over TLS (`--tls-cert`/`--tls-key`); probes become TCP probes.",
    "mountPath": "Where the volume is mounted in every pod.",
    "readOnly": "Mount the data sets read-only.",
    "existingClaim": "PVC name when type is pvc (ReadWriteMany when pods run on several nodes).",
    "hostPath": "Directory on each node when type is hostPath.",
    "serviceAccount.annotations": "Annotations of the ServiceAccount (e.g. cloud IAM bindings).",
    "periodSeconds": "Probe period.",
    "failureThreshold": "Failed probes before the kubelet acts.",
    "initialDelaySeconds": "Delay before the first probe.",
    "metrics.port": "Port of `GET /metrics` in every pod (`--metrics-port`).",
    "serviceMonitor.interval": "Scrape interval.",
    "serviceMonitor.labels": "Extra labels (e.g. the Prometheus release selector).",
    "useHttps": "Poll the NATS monitoring endpoint over HTTPS.",
    "pollingInterval": "Seconds between KEDA's checks of each queue.",
    "cooldownPeriod": "Seconds after the last backlog before a stage scales to zero.",
    "targetCPUUtilizationPercentage": "CPU utilisation the HPA aims at.",
    "replicas": "Replicas (for a stage: only when autoscaling.engine is none).",
    "port": "gRPC port of the process (`--port`).",
    "extraArgs": "Extra `adq serve` arguments.",
    "resources": "Container resources (GPU limits are added when gpu.enabled).",
    "nodeSelector": "Node labels the pods need.",
    "tolerations": "Tolerations of the pods.",
    "affinity": "Affinity of the pods.",
    "pdb.enabled": "Create a PodDisruptionBudget.",
    "pdb.minAvailable": "PodDisruptionBudget minAvailable (set either this or maxUnavailable).",
    "pdb.maxUnavailable": "PodDisruptionBudget maxUnavailable (set either this or minAvailable).",
    "service.type": "Service type of the gateway.",
    "service.port": "Service port of the gateway.",
    "service.annotations": "Annotations of the gateway Service (e.g. load-balancer settings).",
    "ingress.enabled": "Create an Ingress for the gateway.",
    "ingress.className": "IngressClass name.",
    "ingress.annotations": "Ingress annotations (a gRPC backend needs the controller's own, e.g. nginx backend-protocol GRPC).",
    "ingress.host": "Host name of the Ingress rule.",
    "grpcRoute.enabled": "Create a Gateway API GRPCRoute for the gateway.",
    "grpcRoute.hostnames": "Host names of the GRPCRoute.",
    "enabled": "Turn this part on or off.",
    "gpu.enabled": "Run the stage on the GPU pool with `--execution-provider cuda` (on by default for features and sampling).",
    "gpu.resourceName": "Extended resource name of the GPUs.",
    "autoscaling.maxReplicas": "Maximum replicas (KEDA or HPA).",
}
for path, v in rows:
    desc = docs.get(path, "")
    if not desc and path.startswith("stages."):
        desc = docs.get("stages.features." + path.split(".", 2)[2], "")
    if not desc:
        for suffix in sorted(SUFFIX_DOCS, key=len, reverse=True):
            if path == suffix or path.endswith("." + suffix):
                desc = SUFFIX_DOCS[suffix]
                break
    if not desc:
        # a comment on the parent object describes its leaves
        parent = path.rsplit(".", 1)[0]
        desc = docs.get(parent, "") if parent != path else ""
    default = json.dumps(v, separators=(",", ":")).replace("|", "\\|")
    desc = desc.replace("|", "\\|")
    lines.append(f"| `{path}` | `{default}` | {desc} |")
readme = ROOT / "charts/adq/README.md"
start, end = "<!-- values:start -->", "<!-- values:end -->"
if readme.exists():
    r = readme.read_text()
    if start in r and end in r:
        head, rest = r.split(start, 1)
        _, tail = rest.split(end, 1)
        emit(readme, f"{head}{start}\n{chr(10).join(lines)}\n{end}{tail}")
if stale:
    sys.exit(f"out of date: {', '.join(stale)} (run: python3 scripts/k8s-tools-schema.py)")
