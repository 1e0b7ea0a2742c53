"""The committed OpenAPI documents (docs/openapi/<service>.json) match the services' apps."""

from __future__ import annotations

import importlib.util
import json
from types import ModuleType

from tests.unit.deploy.observability import ROOT, SERVICE_DIRS


def _generator() -> ModuleType:
    path = ROOT / "deploy" / "local" / "openapi.py"
    spec = importlib.util.spec_from_file_location("openapi_docs", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = _generator()


def test_every_http_api_has_a_document() -> None:
    assert set(GENERATOR.APPS) == set(SERVICE_DIRS)


def test_committed_documents_are_current() -> None:
    stale = GENERATOR.stale()
    assert stale == [], f"stale docs/openapi/{stale}: regenerate with {GENERATOR.REGENERATE}"


def test_documents_are_openapi_with_the_business_and_operations_routes() -> None:
    for name in SERVICE_DIRS:
        doc = json.loads((ROOT / "docs" / "openapi" / f"{name}.json").read_text())
        assert doc["openapi"].startswith("3."), name
        business = [p for p in doc["paths"] if p.startswith("/v1/")]
        assert business, f"{name}: no /v1 route documented"
        assert {"/healthz", "/readyz", "/metrics"} <= set(doc["paths"]), name


def test_every_business_operation_declares_the_bearer_scheme_and_its_access_errors() -> None:
    for name in SERVICE_DIRS:
        doc = json.loads((ROOT / "docs" / "openapi" / f"{name}.json").read_text())
        scheme = doc["components"]["securitySchemes"]["bearer"]
        assert (scheme["type"], scheme["scheme"]) == ("http", "bearer"), name
        for path, operations in doc["paths"].items():
            for method, op in operations.items():
                where = f"{name}: {method.upper()} {path}"
                if not path.startswith("/v1/"):
                    assert "security" not in op, f"{where}: probes and metrics take no token"
                    continue
                assert op["security"] == [{"bearer": []}], where
                assert {"401", "403"} <= set(op["responses"]), where
                by_id = any(
                    p["in"] == "path" and p["name"].endswith("id") for p in op.get("parameters", [])
                )
                assert ("404" in op["responses"]) or not by_id, f"{where}: unknown id undocumented"
