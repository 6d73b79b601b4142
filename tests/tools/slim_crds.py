#!/usr/bin/env python3
"""Writes src/demo/scenarios/crds.yaml: the CRDs of tests/crds without their schemas,
so that the demo cluster's scenarios can serve those kinds from a small embedded file."""
import glob
import os
import sys

import yaml

HEADER = """# The kinds of the routers and controllers kshift drives, as their public CRDs declare
# them (tests/crds), with the schemas left out: the demo cluster serves these kinds
# for its scenarios. Regenerate with tests/tools/slim_crds.py.
"""


def slim(crd, source):
    spec = crd["spec"]
    versions = []
    for version in spec["versions"]:
        kept = {key: version[key] for key in ("name", "served", "storage", "subresources", "additionalPrinterColumns") if key in version}
        kept["schema"] = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
        versions.append(kept)
    annotations = {"kshift.dev/source": f"{source} (schema left out)"}
    # A real API server refuses a CRD of a *.k8s.io group without this annotation.
    approved = (crd["metadata"].get("annotations") or {}).get("api-approved.kubernetes.io")
    if approved:
        annotations["api-approved.kubernetes.io"] = approved
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": crd["metadata"]["name"], "annotations": annotations},
        "spec": {"group": spec["group"], "names": spec["names"], "scope": spec["scope"], "versions": versions},
    }


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    crds = []
    for path in sorted(glob.glob(os.path.join(root, "tests", "crds", "*.yaml"))):
        for document in yaml.safe_load_all(open(path)):
            if document and document.get("kind") == "CustomResourceDefinition":
                crds.append(slim(document, os.path.basename(path)))
    target = os.path.join(root, "src", "demo", "scenarios", "crds.yaml")
    with open(target, "w") as out:
        out.write(HEADER + yaml.safe_dump_all(crds, sort_keys=False))
    print(f"{len(crds)} CRDs written to {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
