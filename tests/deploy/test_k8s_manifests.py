"""The Kubernetes manifests in deploy/k8s/ are valid API objects, checked offline.

`kubernetes-validate` (requirements-main.txt, a test-only dependency) ships the OpenAPI
schemas of every Kubernetes release it supports inside its wheel, so nothing is fetched.
Each document is validated in strict mode (an unknown or misspelt field is an error, not
silently dropped by the API server) against the oldest and the newest release it ships:
the readiness probes use the native gRPC probe, beta since 1.24 and GA in 1.27.
"""

from __future__ import annotations

import copy
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate import utils as kv_utils

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
KUSTOMIZATION = K8S / "kustomization.yaml"
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p != KUSTOMIZATION)
VERSIONS = (kv_utils.all_versions()[0], kubernetes_validate.latest_version())


def _documents(path: Path) -> list[dict]:
    """The non-empty YAML documents of one manifest file."""
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _validate(doc: dict, version: str) -> None:
    """Raise kubernetes_validate.ValidationError when `doc` breaks the schema of `version`."""
    kubernetes_validate.validate(doc, version, strict=True)


def _gateway_deployment() -> dict:
    docs = _documents(K8S / "gateway.yaml")
    return copy.deepcopy(next(d for d in docs if d["kind"] == "Deployment"))


def test_there_is_a_manifest_per_service():
    names = sorted(p.stem for p in MANIFESTS)
    assert names == ["blazepose", "detectron", "gateway", "openpose", "stereo", "videopose3d"]


def test_kustomization_lists_every_manifest():
    kust = yaml.safe_load(KUSTOMIZATION.read_text())
    assert kust["kind"] == "Kustomization"
    assert sorted(kust["resources"]) == sorted(p.name for p in MANIFESTS)


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.name)
def test_manifest_is_valid_against_the_api_schemas(manifest: Path):
    docs = _documents(manifest)
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service"} <= kinds, f"{manifest.name}: {sorted(kinds)}"
    for doc in docs:
        for version in VERSIONS:
            try:
                _validate(doc, version)
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"{manifest.name} {doc['kind']}/{doc['metadata']['name']} "
                            f"(Kubernetes {version}): {exc.message} at "
                            f"{'.'.join(map(str, exc.absolute_path))}")


def test_a_wrong_field_type_is_rejected():
    doc = _gateway_deployment()
    _validate(doc, VERSIONS[-1])  # the unbroken document passes
    doc["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError) as info:
        _validate(doc, VERSIONS[-1])
    assert list(info.value.absolute_path) == ["spec", "replicas"]


def test_a_misspelt_field_is_rejected():
    doc = _gateway_deployment()
    container = doc["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbe"]["grpc"]["prot"] = container["readinessProbe"]["grpc"].pop("port")
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(doc, VERSIONS[-1])


def test_a_missing_required_field_is_rejected():
    doc = _gateway_deployment()
    del doc["spec"]["template"]["spec"]["containers"][0]["name"]
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(doc, VERSIONS[-1])
