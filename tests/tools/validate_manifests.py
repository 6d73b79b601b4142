#!/usr/bin/env python3
"""Validate kshift demo scenarios (multi-document YAML files of Kubernetes objects).

Usage:
    python3 tests/tools/validate_manifests.py [--crds DIR] [-v] FILE...

Each FILE is one scenario, loaded on its own into an empty cluster, so the
cross-object checks (namespaces, Service selectors, router references) are
made per file.

What is checked:

* YAML: parse errors, duplicate mapping keys, plain scalars that YAML 1.1
  (kubectl, sigs.k8s.io/yaml) and YAML 1.2 (kshift, serde-saphyr) read
  differently (`yes`, `on`, `0755`, `1:30`, unquoted timestamps).
* Every object: apiVersion, kind, metadata.name; names are DNS-1123 (labels
  for Namespaces, DNS-1035 labels for Services, subdomains otherwise); label
  and annotation keys and values are valid strings; namespaced objects name a
  namespace that a `v1 Namespace` object earlier in the same file declares;
  no object is declared twice.
* Custom resources: validated against `openAPIV3Schema` of the served version
  of their CRD (from --crds, default $KSHIFT_CRDS or the
  repository's tests/crds), read the way the API server reads a structural schema: unknown
  fields are errors (the server would prune them) unless
  `x-kubernetes-preserve-unknown-fields`,
  `x-kubernetes-int-or-string` is integer-or-string, `nullable` allows null,
  `x-kubernetes-list-type: set|map` items must be unique. CEL rules
  (`x-kubernetes-validations`) and `format` are not evaluated.
* Built-in kinds (Deployment, ReplicaSet, Service, Ingress, ...): a small
  schema of their fields; pod templates are checked against the PodTemplateSpec
  schema carried by the Argo Rollouts CRD when it is present; workload
  selectors must match their own template labels.
* Cross references in one file: every Service selector selects the pod
  template of at least one workload (Deployment, ReplicaSet, StatefulSet,
  DaemonSet, Rollout) in its namespace and its targetPort exists there; routers
  (VirtualService, DestinationRule, HTTPRoute, TrafficSplit, Ingress, Rollout,
  Flagger Canary) point at Services, ports, subsets and workloads that exist;
  Istio route weights sum to 100; NGINX canary Ingresses have a primary.

A scenario may keep a deliberately odd object (to exercise kshift's
warnings) by listing the expected problem codes in the object's annotation
`demo.kshift.dev/expect-warnings` (comma separated). Those problems are then
reported only with -v, and an expected problem that does not occur is an
error. Codes: weights-not-100, unknown-subset, unknown-service, unknown-port,
subset-selects-nothing, canary-without-primary, bad-canary-weight,
unknown-workload, unknown-router, bad-step.

Exit status: 0 and `ok: N objects` when clean, 1 with one message per problem
otherwise.
"""

from __future__ import annotations

import argparse
import copy
import glob
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable

try:
    import yaml
    import jsonschema
    from jsonschema import validators
except ImportError as exc:  # pragma: no cover - environment problem
    sys.stderr.write(f"error: {exc}; this tool needs PyYAML and jsonschema (pip install pyyaml jsonschema)\n")
    sys.exit(1)

# The public CRDs are copied into the repository (tests/crds, see its README).
DEFAULT_CRD_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crds"))
EXPECT_ANNOTATION = "demo.kshift.dev/expect-warnings"
ROUTER_CODES = {
    "weights-not-100",
    "unknown-subset",
    "unknown-service",
    "unknown-port",
    "subset-selects-nothing",
    "canary-without-primary",
    "bad-canary-weight",
    "unknown-workload",
    "unknown-router",
    "bad-step",
}

def _d(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list:
    return value if isinstance(value, list) else []


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# --------------------------------------------------------------------------
# YAML loading
# --------------------------------------------------------------------------

# Plain scalars that YAML 1.1 (go-yaml v2, used by kubectl) and YAML 1.2
# (serde-saphyr, used by kshift) resolve differently.
YAML11_ONLY = [
    (re.compile(r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$"), "a boolean in YAML 1.1, a string in YAML 1.2"),
    (re.compile(r"^[-+]?0[0-7_]+$"), "an octal integer in YAML 1.1"),
    (re.compile(r"^[-+]?(?:0b[01_]+|[0-9][0-9_]*_[0-9_]*)$"), "an integer in YAML 1.1 only"),
    (re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$"), "a sexagesimal number in YAML 1.1"),
    (re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$"),
     "a timestamp in YAML 1.1"),
]


class Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-like scalars: no timestamps, only true/false."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class DuplicateKey(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def _construct_mapping(loader: Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise DuplicateKey(key_node.start_mark.line + 1, f"duplicate key {key!r} (first at line {seen[key]})")
        seen[key] = key_node.start_mark.line + 1
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass
class Obj:
    file: str
    index: int
    node: yaml.Node
    data: dict

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

    @property
    def api_version(self) -> str:
        v = self.data.get("apiVersion")
        return v if isinstance(v, str) else ""

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @property
    def kind(self) -> str:
        v = self.data.get("kind")
        return v if isinstance(v, str) else ""

    @property
    def meta(self) -> dict:
        m = self.data.get("metadata")
        return m if isinstance(m, dict) else {}

    @property
    def name(self) -> str:
        n = self.meta.get("name")
        return n if isinstance(n, str) else ""

    @property
    def namespace(self) -> str:
        n = self.meta.get("namespace")
        return n if isinstance(n, str) else ""

    @property
    def spec(self) -> dict:
        s = self.data.get("spec")
        return s if isinstance(s, dict) else {}

    @property
    def status(self) -> dict:
        s = self.data.get("status")
        return s if isinstance(s, dict) else {}

    @property
    def annotations(self) -> dict:
        a = self.meta.get("annotations")
        return a if isinstance(a, dict) else {}

    def describe(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind or '?'} {ns}{self.name or '?'}"

    def line_of(self, path: Iterable[Any]) -> int:
        """Line of the deepest node that exists along path."""
        node = self.node
        for part in path:
            nxt = None
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                        nxt = v
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                nxt = node.value[part]
            if nxt is None:
                break
            node = nxt
        return node.start_mark.line + 1


@dataclass
class Problem:
    file: str
    line: int
    what: str
    message: str
    code: str | None = None
    obj: Obj | None = None

    def __str__(self) -> str:
        tag = f" [{self.code}]" if self.code else ""
        return f"{self.file}:{self.line}: {self.what}: {self.message}{tag}"


def ambiguous_scalars(node: yaml.Node, out: list[tuple[int, str, str]]) -> None:
    if isinstance(node, yaml.ScalarNode):
        if node.style is None and node.tag == "tag:yaml.org,2002:str":
            for rx, why in YAML11_ONLY:
                if rx.match(node.value):
                    out.append((node.start_mark.line + 1, node.value, why))
                    break
    elif isinstance(node, yaml.SequenceNode):
        for n in node.value:
            ambiguous_scalars(n, out)
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            ambiguous_scalars(k, out)
            ambiguous_scalars(v, out)


def load_file(path: str, problems: list[Problem]) -> list[Obj]:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        problems.append(Problem(path, 0, "file", str(exc)))
        return []
    objs: list[Obj] = []
    loader = Loader(text)
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            index += 1
            if node is None:
                continue
            amb: list[tuple[int, str, str]] = []
            ambiguous_scalars(node, amb)
            for line, value, why in amb:
                problems.append(Problem(path, line, "yaml", f"plain scalar {value!r} is {why}: quote it"))
            data = loader.construct_document(node)
            if data is None:
                continue
            if not isinstance(data, dict):
                problems.append(Problem(path, node.start_mark.line + 1, "yaml", f"document {index} is not a mapping"))
                continue
            objs.append(Obj(path, index, node, data))
    except DuplicateKey as exc:
        problems.append(Problem(path, exc.line, "yaml", f"{exc}; the rest of the file was not read"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(Problem(path, (mark.line + 1) if mark else 0, "yaml", str(exc).replace("\n", " ")))
    finally:
        loader.dispose()
    if not objs and not any(p.file == path for p in problems):
        problems.append(Problem(path, 0, "file", "no objects"))
    return objs


# --------------------------------------------------------------------------
# OpenAPI v3 (structural schema) -> JSON Schema
# --------------------------------------------------------------------------

DROPPED_KEYS = {"nullable", "format", "description", "example", "externalDocs", "default"}


def to_json_schema(node: Any, *, root: bool = False, in_logic: bool = False) -> Any:
    """Convert one CRD schema node. Objects are closed (additionalProperties:
    false) unless the schema preserves unknown fields, as the API server
    prunes unknown fields. Inside anyOf/oneOf/allOf/not nothing is closed:
    those branches only constrain fields declared beside them."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-") or key in DROPPED_KEYS:
            continue
        if key == "properties":
            out[key] = {k: to_json_schema(v, in_logic=in_logic) for k, v in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = to_json_schema(value, in_logic=in_logic)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [to_json_schema(v, in_logic=True) for v in value]
        elif key == "not":
            out[key] = to_json_schema(value, in_logic=True)
        else:
            out[key] = value

    if node.get("x-kubernetes-int-or-string") is True:
        out["type"] = ["integer", "string"]

    list_type = node.get("x-kubernetes-list-type")
    if list_type == "set":
        out["uniqueItems"] = True
    elif list_type == "map" and node.get("x-kubernetes-list-map-keys"):
        keys = node["x-kubernetes-list-map-keys"]
        item_props = (node.get("items") or {}).get("properties") or {}
        out["x-kshift-list-map-keys"] = [(k, (item_props.get(k) or {}).get("default")) for k in keys]

    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if root:
        props = out.setdefault("properties", {})
        props["apiVersion"] = {"type": "string"}
        props["kind"] = {"type": "string"}
        props["metadata"] = {"type": "object"}  # ObjectMeta is checked on its own
    if node.get("x-kubernetes-embedded-resource") is True:
        props = out.setdefault("properties", {})
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        props.setdefault("metadata", {"type": "object"})
    is_object = out.get("type") == "object" or "properties" in out
    if is_object and not preserve and not in_logic and "additionalProperties" not in out:
        out["additionalProperties"] = False

    if node.get("nullable") is True:
        return {"anyOf": [{"type": "null"}, out]}
    return out


def _list_map_keys(validator, keys, instance, schema):
    if not isinstance(instance, list):
        return
    seen: dict[tuple, int] = {}
    for i, item in enumerate(instance):
        if not isinstance(item, dict):
            continue
        key = tuple(repr(item.get(k, default)) for k, default in keys)
        if key in seen:
            names = ", ".join(f"{k}={item.get(k, d)!r}" for k, d in keys)
            yield jsonschema.ValidationError(f"items {seen[key]} and {i} have the same key ({names})")
        else:
            seen[key] = i


SchemaValidator = validators.extend(jsonschema.Draft7Validator, {"x-kshift-list-map-keys": _list_map_keys})


def make_validator(openapi_schema: dict, root: bool = True):
    return SchemaValidator(to_json_schema(copy.deepcopy(openapi_schema), root=root))


@dataclass
class CrdVersion:
    group: str
    kind: str
    version: str
    namespaced: bool
    served: bool
    schema: dict
    source: str
    _validator: Any = None

    @property
    def validator(self):
        if self._validator is None:
            self._validator = make_validator(self.schema)
        return self._validator


def load_crds(directory: str, problems: list[Problem]) -> dict[tuple[str, str], dict[str, CrdVersion]]:
    """(group, kind) -> version -> CrdVersion"""
    crds: dict[tuple[str, str], dict[str, CrdVersion]] = {}
    files = sorted(glob.glob(os.path.join(directory, "*.yaml")) + glob.glob(os.path.join(directory, "*.yml")))
    if not files:
        problems.append(Problem(directory, 0, "crds", "no CRD files (*.yaml) found; use --crds DIR"))
        return crds
    for path in files:
        try:
            with open(path, encoding="utf-8") as fh:
                docs = list(yaml.load_all(fh, Loader=yaml.SafeLoader))
        except (OSError, yaml.YAMLError) as exc:
            problems.append(Problem(path, 0, "crds", f"cannot read: {exc}"))
            continue
        for doc in docs:
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc.get("spec") or {}
            group = spec.get("group", "")
            kind = (spec.get("names") or {}).get("kind", "")
            namespaced = spec.get("scope", "Namespaced") == "Namespaced"
            for ver in spec.get("versions") or []:
                schema = ((ver.get("schema") or {}).get("openAPIV3Schema")) or {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                crds.setdefault((group, kind), {})[ver["name"]] = CrdVersion(
                    group, kind, ver["name"], namespaced, bool(ver.get("served", True)), schema, os.path.basename(path)
                )
    return crds


# --------------------------------------------------------------------------
# Built-in kinds
# --------------------------------------------------------------------------

# (group, version, kind) -> namespaced
BUILTIN: dict[tuple[str, str, str], bool] = {
    ("", "v1", "Namespace"): False,
    ("", "v1", "Service"): True,
    ("", "v1", "ConfigMap"): True,
    ("", "v1", "Secret"): True,
    ("", "v1", "ServiceAccount"): True,
    ("", "v1", "Pod"): True,
    ("", "v1", "Endpoints"): True,
    ("", "v1", "Event"): True,
    ("events.k8s.io", "v1", "Event"): True,
    ("apps", "v1", "Deployment"): True,
    ("apps", "v1", "ReplicaSet"): True,
    ("apps", "v1", "StatefulSet"): True,
    ("apps", "v1", "DaemonSet"): True,
    ("batch", "v1", "Job"): True,
    ("batch", "v1", "CronJob"): True,
    ("networking.k8s.io", "v1", "Ingress"): True,
    ("networking.k8s.io", "v1", "IngressClass"): False,
    ("networking.k8s.io", "v1", "NetworkPolicy"): True,
    ("autoscaling", "v2", "HorizontalPodAutoscaler"): True,
    ("policy", "v1", "PodDisruptionBudget"): True,
    ("rbac.authorization.k8s.io", "v1", "Role"): True,
    ("rbac.authorization.k8s.io", "v1", "RoleBinding"): True,
    ("rbac.authorization.k8s.io", "v1", "ClusterRole"): False,
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"): False,
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition"): False,
}

WORKLOAD_KINDS = {("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "StatefulSet"), ("apps", "DaemonSet")}

OBJECT_META = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "generateName": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "uid": {"type": "string"},
        "resourceVersion": {"type": "string"},
        "generation": {"type": "integer"},
        "creationTimestamp": {"type": ["string", "null"]},
        "deletionTimestamp": {"type": "string"},
        "deletionGracePeriodSeconds": {"type": "integer"},
        "finalizers": {"type": "array", "items": {"type": "string"}},
        "ownerReferences": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["apiVersion", "kind", "name", "uid"],
                "additionalProperties": False,
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "name": {"type": "string"},
                    "uid": {"type": "string"},
                    "controller": {"type": "boolean"},
                    "blockOwnerDeletion": {"type": "boolean"},
                },
            },
        },
        "managedFields": {"type": "array"},
        "selfLink": {"type": "string"},
    },
}

STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
INT_OR_STRING = {"type": ["integer", "string"]}
LABEL_SELECTOR = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "matchLabels": STRING_MAP,
        "matchExpressions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "operator"],
                "additionalProperties": False,
                "properties": {
                    "key": {"type": "string"},
                    "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
CONDITIONS = {"type": "array", "items": {"type": "object", "required": ["type", "status"]}}
TEMPLATE_PLACEHOLDER = {"type": "object"}  # replaced by the PodTemplateSpec schema when available


def _obj(props: dict, required: list[str] | None = None) -> dict:
    s: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        s["required"] = required
    return s


def builtin_schemas(pod_template: dict) -> dict[tuple[str, str], dict]:
    replica_status = _obj(
        {
            k: {"type": "integer"}
            for k in (
                "replicas", "readyReplicas", "availableReplicas", "updatedReplicas", "unavailableReplicas",
                "fullyLabeledReplicas", "terminatingReplicas", "observedGeneration", "collisionCount",
                "currentReplicas",
            )
        }
        | {"conditions": CONDITIONS, "currentRevision": {"type": "string"}, "updateRevision": {"type": "string"}}
    )
    root = lambda spec, status=None: _obj(  # noqa: E731
        {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
            "status": status or {"type": "object"},
        }
    )
    deployment_spec = _obj(
        {
            "replicas": {"type": "integer", "minimum": 0},
            "selector": LABEL_SELECTOR,
            "template": pod_template,
            "strategy": _obj(
                {
                    "type": {"enum": ["RollingUpdate", "Recreate"]},
                    "rollingUpdate": _obj({"maxSurge": INT_OR_STRING, "maxUnavailable": INT_OR_STRING}),
                }
            ),
            "minReadySeconds": {"type": "integer", "minimum": 0},
            "revisionHistoryLimit": {"type": "integer", "minimum": 0},
            "progressDeadlineSeconds": {"type": "integer", "minimum": 1},
            "paused": {"type": "boolean"},
        },
        ["selector", "template"],
    )
    replicaset_spec = _obj(
        {
            "replicas": {"type": "integer", "minimum": 0},
            "selector": LABEL_SELECTOR,
            "template": pod_template,
            "minReadySeconds": {"type": "integer", "minimum": 0},
        },
        ["selector"],
    )
    service_port = _obj(
        {
            "name": {"type": "string"},
            "protocol": {"enum": ["TCP", "UDP", "SCTP"]},
            "appProtocol": {"type": "string"},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "targetPort": INT_OR_STRING,
            "nodePort": {"type": "integer"},
        },
        ["port"],
    )
    service_spec = _obj(
        {
            "type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]},
            "selector": STRING_MAP,
            "ports": {"type": "array", "items": service_port},
            "clusterIP": {"type": "string"},
            "clusterIPs": {"type": "array", "items": {"type": "string"}},
            "externalName": {"type": "string"},
            "externalIPs": {"type": "array", "items": {"type": "string"}},
            "sessionAffinity": {"enum": ["None", "ClientIP"]},
            "sessionAffinityConfig": {"type": "object"},
            "ipFamilies": {"type": "array", "items": {"enum": ["IPv4", "IPv6"]}},
            "ipFamilyPolicy": {"enum": ["SingleStack", "PreferDualStack", "RequireDualStack"]},
            "internalTrafficPolicy": {"enum": ["Cluster", "Local"]},
            "externalTrafficPolicy": {"enum": ["Cluster", "Local"]},
            "trafficDistribution": {"type": "string"},
            "publishNotReadyAddresses": {"type": "boolean"},
            "loadBalancerIP": {"type": "string"},
            "loadBalancerClass": {"type": "string"},
            "loadBalancerSourceRanges": {"type": "array", "items": {"type": "string"}},
            "allocateLoadBalancerNodePorts": {"type": "boolean"},
            "healthCheckNodePort": {"type": "integer"},
        }
    )
    ingress_backend = _obj(
        {
            "service": _obj(
                {
                    "name": {"type": "string"},
                    "port": _obj({"number": {"type": "integer", "minimum": 1, "maximum": 65535}, "name": {"type": "string"}}),
                },
                ["name"],
            ),
            "resource": _obj({"apiGroup": {"type": "string"}, "kind": {"type": "string"}, "name": {"type": "string"}}),
        }
    )
    ingress_spec = _obj(
        {
            "ingressClassName": {"type": "string"},
            "defaultBackend": ingress_backend,
            "tls": {"type": "array", "items": _obj({"hosts": {"type": "array", "items": {"type": "string"}}, "secretName": {"type": "string"}})},
            "rules": {
                "type": "array",
                "items": _obj(
                    {
                        "host": {"type": "string"},
                        "http": _obj(
                            {
                                "paths": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": _obj(
                                        {
                                            "path": {"type": "string"},
                                            "pathType": {"enum": ["Exact", "Prefix", "ImplementationSpecific"]},
                                            "backend": ingress_backend,
                                        },
                                        ["pathType", "backend"],
                                    ),
                                }
                            },
                            ["paths"],
                        ),
                    }
                ),
            },
        }
    )
    return {
        ("", "Namespace"): root(_obj({"finalizers": {"type": "array", "items": {"type": "string"}}}), _obj({"phase": {"type": "string"}, "conditions": CONDITIONS})),
        ("apps", "Deployment"): root(deployment_spec, replica_status),
        ("apps", "ReplicaSet"): root(replicaset_spec, replica_status),
        ("", "Service"): root(service_spec, {"type": "object"}),
        ("networking.k8s.io", "Ingress"): root(ingress_spec, {"type": "object"}),
    }


def pod_template_schema(crds: dict) -> dict:
    """The PodTemplateSpec schema, taken from the Rollout CRD (Argo embeds the
    full Kubernetes one). Falls back to a loose object."""
    for ver in (crds.get(("argoproj.io", "Rollout")) or {}).values():
        tmpl = (((ver.schema.get("properties") or {}).get("spec") or {}).get("properties") or {}).get("template")
        if isinstance(tmpl, dict):
            conv = to_json_schema(copy.deepcopy(tmpl))
            conv.setdefault("required", [])
            if "metadata" not in conv["required"]:
                conv["required"] = conv["required"] + ["metadata", "spec"]
            return conv
    return _obj({"metadata": {"type": "object"}, "spec": {"type": "object", "required": ["containers"]}}, ["metadata", "spec"])


# --------------------------------------------------------------------------
# Names, labels, selectors
# --------------------------------------------------------------------------

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
IANA_SVC_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def name_problem(kind: str, group: str, name: str) -> str | None:
    if kind == "Namespace" and group == "":
        ok = len(name) <= 63 and DNS1123_LABEL.match(name)
        rule = "a DNS-1123 label (lowercase alphanumerics and '-', at most 63)"
    elif kind == "Service" and group == "":
        ok = len(name) <= 63 and DNS1035_LABEL.match(name)
        rule = "a DNS-1035 label (starts with a letter, lowercase alphanumerics and '-', at most 63)"
    else:
        ok = len(name) <= 253 and DNS1123_SUBDOMAIN.match(name)
        rule = "a DNS-1123 subdomain (lowercase alphanumerics, '-' and '.', at most 253)"
    return None if ok else f"name {name!r} is not {rule}"


def key_problem(key: Any) -> str | None:
    if not isinstance(key, str) or not key:
        return f"key {key!r} is not a string"
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix)):
        return f"key {key!r}: prefix is not a DNS-1123 subdomain"
    if len(name) > 63 or not QUALIFIED_NAME.match(name):
        return f"key {key!r}: name part must be alphanumerics, '-', '_' or '.', at most 63"
    return None


def selector_matches(selector: Any, labels: dict) -> bool:
    """selector: a plain map (Service) or a LabelSelector."""
    if not isinstance(selector, dict):
        return False
    if "matchLabels" in selector or "matchExpressions" in selector:
        ml = _d(selector.get("matchLabels"))
        exprs = [_d(e) for e in _l(selector.get("matchExpressions"))]
    else:
        ml, exprs = selector, []
    if not ml and not exprs:
        return False
    if any(labels.get(k) != v for k, v in ml.items()):
        return False
    for e in exprs:
        key, op, values = e.get("key"), e.get("operator"), _l(e.get("values"))
        if not isinstance(key, str):
            return False
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


@dataclass
class PodTemplate:
    owner: Obj
    labels: dict
    ports: list[tuple[int, str]]  # (containerPort, name)


def container_ports(pod_spec: Any) -> list[tuple[int, str]]:
    return [
        (p["containerPort"], p.get("name", ""))
        for c in _l(_d(pod_spec).get("containers"))
        for p in _l(_d(c).get("ports"))
        if isinstance(p, dict) and isinstance(p.get("containerPort"), int)
    ]


def template_of(obj: Obj) -> tuple[dict, list[tuple[int, str]]]:
    tmpl = _d(obj.spec.get("template"))
    return _d(_d(tmpl.get("metadata")).get("labels")), container_ports(tmpl.get("spec"))


def pod_templates(objs: list[Obj]) -> dict[str, list[PodTemplate]]:
    out: dict[str, list[PodTemplate]] = {}
    for o in objs:
        gk = (o.group, o.kind)
        if gk in WORKLOAD_KINDS:
            labels, ports = template_of(o)
            out.setdefault(o.namespace, []).append(PodTemplate(o, labels, ports))
        elif gk == ("argoproj.io", "Rollout"):
            labels, ports = template_of(o)
            st = o.status
            bg = _d(st.get("blueGreen"))
            hashes = [st.get("stableRS"), st.get("currentPodHash"), bg.get("activeSelector"), bg.get("previewSelector")]
            out.setdefault(o.namespace, []).append(PodTemplate(o, labels, ports))
            for h in sorted({x for x in hashes if isinstance(x, str) and x}):
                out[o.namespace].append(PodTemplate(o, {**labels, "rollouts-pod-template-hash": h}, ports))
        elif gk == ("", "Pod"):
            out.setdefault(o.namespace, []).append(PodTemplate(o, _d(o.meta.get("labels")), container_ports(o.spec)))
    return out


# --------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------


@dataclass
class Checker:
    crds: dict
    problems: list[Problem] = field(default_factory=list)
    _builtin: dict | None = None

    @property
    def builtin(self) -> dict:
        if self._builtin is None:
            self._builtin = {gk: SchemaValidator(s) for gk, s in builtin_schemas(pod_template_schema(self.crds)).items()}
        return self._builtin

    def add(self, obj: Obj, path: Iterable[Any], message: str, code: str | None = None) -> None:
        self.problems.append(Problem(obj.file, obj.line_of(list(path)), obj.describe(), message, code, obj))

    # ---- per object ------------------------------------------------------

    def check_object(self, o: Obj) -> bool | None:
        """Returns whether the kind is namespaced (None if unknown)."""
        for key in ("apiVersion", "kind"):
            if not isinstance(o.data.get(key), str) or not o.data.get(key):
                self.add(o, [], f"missing {key}")
        if not isinstance(o.data.get("metadata"), dict):
            self.add(o, [], "missing metadata")
            return None
        for err in SchemaValidator(OBJECT_META).iter_errors(o.meta):
            self.add(o, ["metadata", *err.absolute_path], f"{_path(['metadata', *err.absolute_path])}: {_message(err)}")
        if not o.name:
            self.add(o, ["metadata"], "missing metadata.name")
        elif problem := name_problem(o.kind, o.group, o.name):
            self.add(o, ["metadata", "name"], problem)
        for field_name in ("labels", "annotations"):
            values = o.meta.get(field_name)
            if not isinstance(values, dict):
                continue
            for k, v in values.items():
                if problem := key_problem(k):
                    self.add(o, ["metadata", field_name, k], f"{field_name}: {problem}")
                if field_name == "labels" and isinstance(v, str) and (len(v) > 63 or not LABEL_VALUE.match(v)):
                    self.add(o, ["metadata", field_name, k], f"label {k}={v!r}: value must be at most 63 alphanumerics, '-', '_' or '.'")

        namespaced = self.check_kind(o)
        if namespaced is True and not o.namespace:
            self.add(o, ["metadata"], "namespaced object without metadata.namespace (scenarios name namespaces explicitly)")
        if namespaced is False and o.namespace:
            self.add(o, ["metadata", "namespace"], f"{o.kind} is cluster-scoped but has metadata.namespace")
        if o.namespace and (len(o.namespace) > 63 or not DNS1123_LABEL.match(o.namespace)):
            self.add(o, ["metadata", "namespace"], f"namespace {o.namespace!r} is not a DNS-1123 label")
        return namespaced

    def check_kind(self, o: Obj) -> bool | None:
        group, version, kind = o.group, o.version, o.kind
        if not kind or not version:
            return None
        crd_versions = self.crds.get((group, kind))
        if crd_versions is not None:
            ver = crd_versions.get(version)
            if ver is None or not ver.served:
                served = ", ".join(sorted(v for v, cv in crd_versions.items() if cv.served))
                self.add(o, ["apiVersion"], f"{o.api_version} is not served by the {kind} CRD (served: {served})")
                return next(iter(crd_versions.values())).namespaced
            for err in sorted(ver.validator.iter_errors(o.data), key=lambda e: list(map(str, e.absolute_path))):
                if list(err.absolute_path)[:1] == ["metadata"]:
                    continue
                self.add(o, err.absolute_path, f"{_path(err.absolute_path) or '(root)'}: {_message(err)} (schema {ver.source})")
            return ver.namespaced
        if (group, version, kind) in BUILTIN:
            validator = self.builtin.get((group, kind))
            if validator is not None:
                for err in sorted(validator.iter_errors(o.data), key=lambda e: list(map(str, e.absolute_path))):
                    self.add(o, err.absolute_path, f"{_path(err.absolute_path) or '(root)'}: {_message(err)}")
            self.check_builtin(o)
            return BUILTIN[(group, version, kind)]
        known = sorted({f"{g + '/' if g else ''}{v} {k}" for (g, v, k) in BUILTIN if k == kind})
        known += sorted(f"{g}/{v} {k}" for (g, k), vs in self.crds.items() if k == kind for v in vs)
        hint = f" (known: {', '.join(known)})" if known else " (no CRD for it in the CRD directory)"
        self.add(o, ["apiVersion"], f"unknown kind {o.api_version} {kind}{hint}")
        return None

    def check_builtin(self, o: Obj) -> None:
        if (o.group, o.kind) in WORKLOAD_KINDS:
            sel = o.spec.get("selector")
            labels, _ = template_of(o)
            if isinstance(sel, dict) and not selector_matches(sel, labels):
                self.add(o, ["spec", "selector"], "spec.selector does not match spec.template.metadata.labels")
            containers = _d(_d(o.spec.get("template")).get("spec")).get("containers")
            if isinstance(containers, list):
                if not containers:
                    self.add(o, ["spec", "template", "spec", "containers"], "no containers")
                port_names: set[str] = set()
                for i, c in enumerate(containers):
                    if not isinstance(c, dict):
                        continue
                    path = ["spec", "template", "spec", "containers", i]
                    cname = c.get("name")
                    if not isinstance(cname, str) or len(cname) > 63 or not DNS1123_LABEL.match(cname):
                        self.add(o, path + ["name"], f"container name {cname!r} is not a DNS-1123 label")
                    if not isinstance(c.get("image"), str) or not c.get("image"):
                        self.add(o, path, "container without image")
                    for j, p in enumerate(_l(c.get("ports"))):
                        if not isinstance(p, dict):
                            continue
                        cp = p.get("containerPort")
                        if not isinstance(cp, int) or not 0 < cp < 65536:
                            self.add(o, path + ["ports", j], f"containerPort {cp!r} is not 1-65535")
                        pname = p.get("name")
                        if pname is not None and not isinstance(pname, str):
                            self.add(o, path + ["ports", j, "name"], f"port name {pname!r} is not a string")
                        elif pname is not None:
                            if not isinstance(pname, str) or len(pname) > 15 or not IANA_SVC_NAME.match(pname) or not re.search("[a-z]", pname):
                                self.add(o, path + ["ports", j, "name"], f"port name {pname!r} is not an IANA_SVC_NAME (at most 15, lowercase)")
                            elif pname in port_names:
                                self.add(o, path + ["ports", j, "name"], f"port name {pname!r} used twice in the pod")
                            port_names.add(pname)
        if (o.group, o.kind) == ("", "Service"):
            ports = _l(o.spec.get("ports"))
            for i, p in enumerate(ports):
                if isinstance(p, dict) and isinstance(p.get("targetPort"), str) and not IANA_SVC_NAME.match(p["targetPort"]):
                    self.add(o, ["spec", "ports", i, "targetPort"], f"targetPort {p['targetPort']!r} is not a port name")
            if len(ports) > 1 and any(not p.get("name") for p in ports if isinstance(p, dict)):
                self.add(o, ["spec", "ports"], "a Service with several ports must name each of them")

    # ---- per file --------------------------------------------------------

    def check_file(self, objs: list[Obj]) -> None:
        declared: dict[str, Obj] = {}
        seen: dict[tuple, Obj] = {}
        namespaced: dict[int, bool | None] = {}
        for o in objs:
            namespaced[id(o)] = self.check_object(o)
            ident = (o.group, o.kind, o.namespace, o.name)
            if o.name and ident in seen:
                self.add(o, ["metadata", "name"], f"declared twice (first at line {seen[ident].line})")
            seen.setdefault(ident, o)
            if (o.group, o.kind) == ("", "Namespace") and o.name:
                declared.setdefault(o.name, o)
        ns_first_use: dict[str, Obj] = {}
        for o in objs:
            if namespaced[id(o)] and o.namespace:
                ns_first_use.setdefault(o.namespace, o)
                decl = declared.get(o.namespace)
                if decl is None:
                    self.add(o, ["metadata", "namespace"], f"namespace {o.namespace!r} is not declared by a v1 Namespace object in this file")
                elif decl.index > o.index and ns_first_use[o.namespace] is o:
                    self.add(o, ["metadata", "namespace"], f"namespace {o.namespace!r} is declared after this object (line {decl.line}); put Namespaces first")
        self.check_references(objs)

    def check_references(self, objs: list[Obj]) -> None:
        CrossChecks(self, objs).run()


class CrossChecks:
    """References between the objects of one scenario."""

    def __init__(self, checker: Checker, objs: list[Obj]):
        self.add = checker.add
        self.templates = pod_templates(objs)
        self.by_kind: dict[tuple[str, str], dict[tuple[str, str], Obj]] = {}
        for o in objs:
            self.by_kind.setdefault((o.group, o.kind), {})[(o.namespace, o.name)] = o
        self.services = self.by_kind.get(("", "Service"), {})
        self.drs = self.by_kind.get(("networking.istio.io", "DestinationRule"), {})

    def of(self, group: str, kind: str) -> list[Obj]:
        return list(self.by_kind.get((group, kind), {}).values())

    def run(self) -> None:
        self.check_services()
        self.check_virtual_services()
        self.check_destination_rules()
        self.check_http_routes()
        self.check_traffic_splits()
        self.check_ingresses()
        self.check_rollouts()
        self.check_flagger_canaries()

    # ---- helpers ---------------------------------------------------------

    @staticmethod
    def service_port(svc: Obj, number: Any = None, name: Any = None) -> dict | None:
        for p in _l(svc.spec.get("ports")):
            p = _d(p)
            if (number is not None and p.get("port") == number) or (name is not None and p.get("name") == name):
                return p
        return None

    def resolve_host(self, owner: Obj, host: Any) -> Obj | None | bool:
        """The Service an Istio host names; False when the host is not a cluster Service name."""
        if not isinstance(host, str):
            return None
        parts = host.split(".")
        if len(parts) == 1:
            return self.services.get((owner.namespace, host))
        if len(parts) == 2 or host.endswith(".svc") or host.endswith(".svc.cluster.local"):
            return self.services.get((parts[1], parts[0]))
        return False

    @staticmethod
    def host_namespace(owner: Obj, host: Any) -> str:
        parts = str(host).split(".")
        return parts[1] if len(parts) > 1 else owner.namespace

    def need_service(self, owner: Obj, path: list, name: Any, port: Any = None, port_name: Any = None, ns: Any = None) -> Obj | None:
        ns = ns if isinstance(ns, str) and ns else owner.namespace
        svc = self.services.get((ns, name)) if isinstance(name, str) else None
        if svc is None:
            self.add(owner, path, f"Service {name!r} not found in namespace {ns!r}", "unknown-service")
            return None
        if (port is not None or port_name is not None) and self.service_port(svc, port, port_name) is None:
            self.add(owner, path, f"Service {name!r} has no port {port if port is not None else port_name!r}", "unknown-port")
        return svc

    def subsets_for(self, owner: Obj, svc: Obj) -> set[str]:
        names: set[str] = set()
        for dr in self.drs.values():
            if dr.namespace == owner.namespace and self.resolve_host(dr, dr.spec.get("host")) is svc:
                names |= {_s(_d(s).get("name")) for s in _l(dr.spec.get("subsets"))}
        return names

    # ---- Services --------------------------------------------------------

    def check_services(self) -> None:
        for svc in self.services.values():
            if svc.spec.get("type") == "ExternalName":
                continue
            sel = svc.spec.get("selector")
            if not isinstance(sel, dict) or not sel:
                self.add(svc, ["spec"], "Service without a selector (demo Services must select pods)")
                continue
            chosen = [t for t in self.templates.get(svc.namespace, []) if selector_matches(sel, t.labels)]
            if not chosen:
                self.add(svc, ["spec", "selector"], f"selector {_fmt_labels(sel)} selects no pod template in namespace {svc.namespace!r}")
                continue
            for i, p in enumerate(_l(svc.spec.get("ports"))):
                p = _d(p)
                target = p.get("targetPort", p.get("port"))
                if not any((isinstance(target, int) and target == cp) or (isinstance(target, str) and target == pn) for t in chosen for cp, pn in t.ports):
                    owners = ", ".join(sorted({t.owner.describe() for t in chosen}))
                    self.add(svc, ["spec", "ports", i], f"targetPort {target!r} is not a container port of the selected pods ({owners})")

    # ---- Istio -------------------------------------------------------------

    def check_virtual_services(self) -> None:
        for vs in self.of("networking.istio.io", "VirtualService"):
            for i, rule in enumerate(_l(vs.spec.get("http"))):
                routes = [_d(r) for r in _l(_d(rule).get("route"))]
                for j, r in enumerate(routes):
                    dest = _d(r.get("destination"))
                    path = ["spec", "http", i, "route", j, "destination"]
                    svc = self.resolve_host(vs, dest.get("host"))
                    if svc is False:
                        continue
                    if svc is None:
                        self.add(vs, path + ["host"], f"host {dest.get('host')!r} is not a Service in namespace {self.host_namespace(vs, dest.get('host'))!r}", "unknown-service")
                        continue
                    number = _d(dest.get("port")).get("number")
                    if number is not None and self.service_port(svc, number) is None:
                        self.add(vs, path + ["port"], f"Service {svc.name!r} has no port {number}", "unknown-port")
                    subset = _s(dest.get("subset")) if "subset" in dest else None
                    if subset is not None and subset not in self.subsets_for(vs, svc):
                        self.add(vs, path + ["subset"], f"subset {subset!r} is not defined by a DestinationRule for host {dest.get('host')!r}", "unknown-subset")
                if len(routes) > 1:
                    total = sum(r.get("weight") or 0 for r in routes if isinstance(r.get("weight") or 0, int))
                    if total != 100:
                        self.add(vs, ["spec", "http", i, "route"], f"route weights sum to {total}, not 100", "weights-not-100")

    def check_destination_rules(self) -> None:
        for dr in self.drs.values():
            svc = self.resolve_host(dr, dr.spec.get("host"))
            if svc is False:
                continue
            if svc is None:
                self.add(dr, ["spec", "host"], f"host {dr.spec.get('host')!r} is not a Service in namespace {self.host_namespace(dr, dr.spec.get('host'))!r}", "unknown-service")
                continue
            base = _d(svc.spec.get("selector"))
            for i, s in enumerate(_l(dr.spec.get("subsets"))):
                labels = {**base, **_d(_d(s).get("labels"))}
                if not any(selector_matches(labels, t.labels) for t in self.templates.get(dr.namespace, [])):
                    self.add(dr, ["spec", "subsets", i], f"subset {_d(s).get('name')!r} ({_fmt_labels(labels)}) selects no pod template", "subset-selects-nothing")

    # ---- Gateway API, SMI, Ingress ------------------------------------------

    def check_http_routes(self) -> None:
        for route in self.of("gateway.networking.k8s.io", "HTTPRoute"):
            for i, rule in enumerate(_l(route.spec.get("rules"))):
                for j, ref in enumerate(_l(_d(rule).get("backendRefs"))):
                    ref = _d(ref)
                    if ref.get("group", "") == "" and ref.get("kind", "Service") == "Service":
                        self.need_service(route, ["spec", "rules", i, "backendRefs", j], ref.get("name"), ref.get("port"), ns=ref.get("namespace"))

    def check_traffic_splits(self) -> None:
        for ts in self.of("split.smi-spec.io", "TrafficSplit"):
            self.need_service(ts, ["spec", "service"], ts.spec.get("service"))
            for j, b in enumerate(_l(ts.spec.get("backends"))):
                self.need_service(ts, ["spec", "backends", j], _d(b).get("service"))

    @staticmethod
    def ingress_paths(ing: Obj) -> set[tuple[Any, Any]]:
        return {
            (_s(_d(r).get("host", "")), _s(_d(p).get("path", "/")))
            for r in _l(ing.spec.get("rules"))
            for p in _l(_d(_d(r).get("http")).get("paths"))
        }

    def check_ingresses(self) -> None:
        ingresses = self.of("networking.k8s.io", "Ingress")
        for ing in ingresses:
            for i, r in enumerate(_l(ing.spec.get("rules"))):
                for j, p in enumerate(_l(_d(_d(r).get("http")).get("paths"))):
                    ref = _d(_d(_d(p).get("backend")).get("service"))
                    if ref:
                        port = _d(ref.get("port"))
                        self.need_service(ing, ["spec", "rules", i, "http", "paths", j, "backend"], ref.get("name"), port.get("number"), port.get("name"))
            ann = ing.annotations
            if ann.get("nginx.ingress.kubernetes.io/canary") != "true":
                continue
            primaries = [
                other for other in ingresses
                if other is not ing and other.namespace == ing.namespace
                and other.annotations.get("nginx.ingress.kubernetes.io/canary") != "true"
                and self.ingress_paths(other) & self.ingress_paths(ing)
            ]
            if not primaries:
                self.add(ing, ["metadata", "annotations"], "canary Ingress without a primary Ingress for the same host and path", "canary-without-primary")
            weight = ann.get("nginx.ingress.kubernetes.io/canary-weight")
            total = ann.get("nginx.ingress.kubernetes.io/canary-weight-total", "100")
            if weight is not None:
                try:
                    ok = 0 <= int(weight) <= int(total)
                except (TypeError, ValueError):
                    ok = False
                if not ok:
                    self.add(ing, ["metadata", "annotations"], f"canary-weight {weight!r} is not an integer in 0..{total}", "bad-canary-weight")

    # ---- controllers -------------------------------------------------------

    def check_rollouts(self) -> None:
        vss = self.by_kind.get(("networking.istio.io", "VirtualService"), {})
        for ro in self.of("argoproj.io", "Rollout"):
            strategy = _d(ro.spec.get("strategy"))
            canary, bg = strategy.get("canary"), strategy.get("blueGreen")
            if isinstance(canary, dict):
                base = ["spec", "strategy", "canary"]
                for key in ("canaryService", "stableService"):
                    if canary.get(key):
                        self.need_service(ro, base + [key], canary[key])
                for i, step in enumerate(_l(canary.get("steps"))):
                    if not isinstance(step, dict) or len(step) != 1:
                        self.add(ro, base + ["steps", i], "a canary step must have exactly one key", "bad-step")
                istio = _d(_d(canary.get("trafficRouting")).get("istio"))
                refs = [_d(istio.get("virtualService"))] if istio.get("virtualService") else []
                refs += [_d(x) for x in _l(istio.get("virtualServices"))]
                for ref in refs:
                    if (ro.namespace, _s(ref.get("name"))) not in vss:
                        self.add(ro, base + ["trafficRouting", "istio"], f"VirtualService {ref.get('name')!r} not found", "unknown-router")
                dr_ref = _d(istio.get("destinationRule"))
                if dr_ref:
                    dr = self.drs.get((ro.namespace, _s(dr_ref.get("name"))))
                    if dr is None:
                        self.add(ro, base + ["trafficRouting", "istio", "destinationRule"], f"DestinationRule {dr_ref.get('name')!r} not found", "unknown-router")
                    else:
                        names = {_s(_d(s).get("name")) for s in _l(dr.spec.get("subsets"))}
                        for key in ("canarySubsetName", "stableSubsetName"):
                            if _s(dr_ref.get(key)) not in names:
                                self.add(ro, base + ["trafficRouting", "istio", "destinationRule", key], f"subset {dr_ref.get(key)!r} not in DestinationRule {dr.name!r}", "unknown-subset")
                weights = _d(_d(ro.status.get("canary")).get("weights"))
                if weights:
                    parts = [_d(weights.get("canary")), _d(weights.get("stable"))] + [_d(a) for a in _l(weights.get("additional"))]
                    total = sum(p.get("weight") or 0 for p in parts if isinstance(p.get("weight") or 0, int))
                    if total != 100:
                        self.add(ro, ["status", "canary", "weights"], f"status.canary.weights sum to {total}, not 100", "weights-not-100")
            if isinstance(bg, dict):
                for key in ("activeService", "previewService"):
                    if bg.get(key):
                        self.need_service(ro, ["spec", "strategy", "blueGreen", key], bg[key])

    def check_flagger_canaries(self) -> None:
        for cd in self.of("flagger.app", "Canary"):
            ref = _d(cd.spec.get("targetRef"))
            kind = ref.get("kind")
            if kind in ("Deployment", "DaemonSet") and (cd.namespace, _s(ref.get("name"))) not in self.by_kind.get(("apps", kind), {}):
                self.add(cd, ["spec", "targetRef"], f"{kind} {ref.get('name')!r} not found in namespace {cd.namespace!r}", "unknown-workload")


def _path(path: Iterable[Any]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _message(err: jsonschema.ValidationError) -> str:
    if err.validator == "type" and err.instance is None:
        return "null value (the API server drops it; write {} for an empty object, or remove the key)"
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set((err.schema.get("properties") or {})))
        return f"unknown field(s) {', '.join(map(repr, extra))} (the API server would prune them)"
    if err.context:
        best = jsonschema.exceptions.best_match(err.context)
        return f"{err.message.splitlines()[0][:200]}; {best.message[:200]}"
    return err.message[:300]


def _fmt_labels(labels: dict) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in labels.items()) + "}"


def apply_expectations(problems: list[Problem], objs_by_file: dict[str, list[Obj]]) -> tuple[list[Problem], list[Problem]]:
    """Split problems into (errors, expected) using the expect annotation."""
    errors: list[Problem] = []
    expected: list[Problem] = []
    raised: dict[int, set[str]] = {}
    for p in problems:
        codes = set()
        if p.obj is not None:
            codes = {c.strip() for c in str(p.obj.annotations.get(EXPECT_ANNOTATION, "")).split(",") if c.strip()}
        if p.code and p.code in codes:
            expected.append(p)
            raised.setdefault(id(p.obj), set()).add(p.code)
        else:
            errors.append(p)
    for objs in objs_by_file.values():
        for o in objs:
            raw = o.annotations.get(EXPECT_ANNOTATION)
            if raw is None:
                continue
            codes = {c.strip() for c in str(raw).split(",") if c.strip()}
            for code in sorted(codes - ROUTER_CODES):
                errors.append(Problem(o.file, o.line_of(["metadata", "annotations", EXPECT_ANNOTATION]), o.describe(), f"{EXPECT_ANNOTATION}: unknown code {code!r} (known: {', '.join(sorted(ROUTER_CODES))})"))
            for code in sorted((codes & ROUTER_CODES) - raised.get(id(o), set())):
                errors.append(Problem(o.file, o.line_of(["metadata", "annotations", EXPECT_ANNOTATION]), o.describe(), f"expected problem {code!r} did not occur: the object is no longer odd in that way"))
    return errors, expected


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Validate kshift demo scenario manifests.")
    ap.add_argument("files", nargs="+", metavar="FILE", help="multi-document YAML scenario files")
    ap.add_argument("--crds", default=os.environ.get("KSHIFT_CRDS", DEFAULT_CRD_DIR), help="directory of CRD YAML files (default: $KSHIFT_CRDS or %(default)s)")
    ap.add_argument("-v", "--verbose", action="store_true", help="also list the expected (annotated) problems")
    args = ap.parse_args(argv)

    problems: list[Problem] = []
    crds = load_crds(args.crds, problems)
    checker = Checker(crds, problems)
    objs_by_file: dict[str, list[Obj]] = {}
    total = 0
    for path in args.files:
        objs = load_file(path, problems)
        objs_by_file[path] = objs
        total += len(objs)
        checker.check_file(objs)

    errors, expected = apply_expectations(problems, objs_by_file)
    if args.verbose:
        for p in expected:
            print(f"expected: {p}")
    if errors:
        for p in errors:
            print(p, file=sys.stderr)
        print(f"{len(errors)} problem(s) in {total} objects", file=sys.stderr)
        return 1
    print(f"ok: {total} objects")
    return 0


if __name__ == "__main__":
    sys.exit(main())
