#!/usr/bin/env python3
"""Writes charts/adq/values.schema.json from charts/adq/values.yaml.

The chart's own objects get `additionalProperties: false` and every key required (helm
validates the values merged over the defaults, so a user only writes what changes); the
types come from the defaults, plus the enums, ranges and nullables below. Kubernetes
pass-through structures (affinity, tolerations, security contexts, NetworkPolicy peers, …)
are typed as objects/arrays only: the API server validates their insides.
Run after changing values.yaml: python3 scripts/k8s-tools-schema.py (needs python3-yaml).
"""
import json
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
VALUES = ROOT / "charts/adq/values.yaml"
OUT = ROOT / "charts/adq/values.schema.json"

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
    "tolerations": K8S_LIST,
    "extraEnv": K8S_LIST,
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
            },
        },
    },
}

# By dotted path (stages.* matches every stage).
BY_PATH = {
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
OUT.write_text(json.dumps(out, indent=2) + "\n")
print(f"wrote {OUT.relative_to(ROOT)}")
