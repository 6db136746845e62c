"""Wire fidelity: the vendor's own sync client (galatea-cli's ``octopod_wrapper``) works
against the emulator and gets what the reference promises.

Install it with ``pip install --no-deps galatea-cli`` (plus ``requests``); its package
imports ``paramiko`` for SFTP only, so a stand-in module is used when paramiko is absent.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import os
import sys
import types
from typing import Any

import pytest

from galatea_async.emulator import Emulator
from galatea_async.emulator._content import genotype_file


def _missing(reason: str) -> None:
    # In CI the README's test command installs the vendor client: its absence is a failure.
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def _import_vendor() -> Any:
    try:
        importlib.import_module("requests")
    except ImportError:
        _missing("requests is not installed (needed by the vendor client galatea-cli)")
    if "paramiko" not in sys.modules:
        try:
            importlib.import_module("paramiko")
        except ImportError:
            sys.modules["paramiko"] = types.ModuleType("paramiko")  # SFTP is not exercised
    try:
        return importlib.import_module("octopod_wrapper")
    except ImportError:
        _missing("the vendor client is not installed: pip install --no-deps galatea-cli")


octopod = _import_vendor()


def _journey(base_url: str, emulator: Emulator) -> dict[str, Any]:
    """Everything the vendor client does, in its own (sync) way."""
    seen: dict[str, Any] = {}
    tokens = octopod.OctopodClient.authenticate(
        username=emulator.email, password=emulator.password, base_url=base_url
    )
    seen["tokens"] = tokens
    client = octopod.OctopodClient(base_url=base_url, api_key=tokens["access"])
    org = client.organization_api.get_organization_info()
    seen["org"] = org
    seen["models"] = client.organization_api.get_organization_models(org["id"])

    uploaded = client.file_api.upload_file_from_io(
        io.BytesIO(genotype_file("vendor").read()), "vendor-genome.txt"
    )
    seen["uploaded"] = uploaded
    emulator.clock.advance(60)
    seen["found_file"] = client.file_api.find_file_by_id(uploaded["id"])
    seen["listed_files"] = client.file_api.list_files(file="vendor-genome.txt")
    seen["aliased"] = client.file_api.update_file_sample_alias(uploaded["id"], "V-1")
    seen["file_download"] = client.file_api.download_file(uploaded["id"])

    tag = client.tag_api.create_tag(name="vendor tag")
    seen["tag"] = client.tag_api.update_tag(tag["id"], new_name="vendor tag 2")
    seen["tag_get"] = client.tag_api.get_tag_by_id(tag["id"])
    seen["tags"] = client.tag_api.list_tags(name="vendor")

    order = client.order_api.submit_order(
        file_id=uploaded["id"],
        model_name="prs ruo model",
        tags_ids=[tag["id"]],
        pdf_report_types=["PRS_RUO_CARDIO", "PRS_RUO_CANCER"],
        pdf_metadata={"sex": "Female", "patient_name": "Vendor Patient"},
    )
    seen["order"] = order
    spare = client.order_api.submit_order(
        file_id=uploaded["id"], model_name="ancestry data model one"
    )
    client.order_api.cancel_order(spare["id"])
    emulator.clock.advance(100)
    seen["found_order"] = client.order_api.find_order_by_id_or_file_id(order["id"])
    seen["completed"] = client.order_api.list_orders(status_group="completed")
    seen["patched"] = client.order_api.update_order_tags(order["id"], tags_ids=[])
    seen["reports"] = client.result_api.list_pdf_reports(order_id=order["id"])
    report = seen["reports"]["results"][0]
    seen["pdf"] = client.result_api.download_result_file(
        order_id=order["id"], result_type="PDF_REPORT", pdf_request_id=report["id"]
    )
    seen["summary"] = client.result_api.download_result_file(
        order_id=order["id"], result_type="SUMMARY_SUPERSET"
    )
    seen["json"] = client.result_api.download_result_json(order["id"], "SUMMARY_SUPERSET")
    seen["samples"] = client.result_api.list_result_samples(order["id"])
    try:
        client.order_api.cancel_order(order["id"])
    except octopod.OctopodApiException as exc:
        seen["cancel_error"] = (exc.status_code, exc.message)
    client.file_api.delete_file(uploaded["id"])
    seen["after_delete"] = client.file_api.find_file_by_id(uploaded["id"])
    return seen


async def test_the_vendor_client_runs_its_whole_journey(
    emulator: Emulator, emulator_url: str
) -> None:
    seen = await asyncio.to_thread(_journey, emulator_url, emulator)

    assert set(seen["tokens"]) == {"access", "refresh", "websocket_access"}
    assert seen["org"]["id"] == emulator.org_id
    assert all(not model["deprecated"] for model in seen["models"])
    assert seen["uploaded"]["status"] == "PENDING"
    assert seen["found_file"]["status"] == "VALID"
    assert seen["listed_files"]["count"] == 1
    assert seen["aliased"]["sample_alias"] == "V-1"
    content, name = seen["file_download"]
    assert name == "vendor-genome.txt"
    assert content.getvalue() == genotype_file("vendor").read()
    assert seen["tag"]["name"] == seen["tag_get"]["name"] == "vendor tag 2"
    assert seen["tags"]["count"] == 1
    assert seen["order"]["status"] == "Registered"
    assert isinstance(seen["order"]["pdf_metadata"], str)
    assert seen["found_order"]["status"] == "Completed"
    assert seen["completed"]["count"] == 1
    assert all(isinstance(t, str) for t in seen["patched"]["result_types"])
    assert seen["patched"]["tags"] == []
    assert seen["reports"]["count"] == 2
    pdf, pdf_name = seen["pdf"]
    assert pdf.getvalue().startswith(b"%PDF-")
    assert pdf_name == seen["reports"]["results"][0]["pdf_file_name"]
    summary, summary_name = seen["summary"]
    assert summary_name.endswith("_summary_superset.tsv")
    assert summary.getvalue().startswith(b"sample_id\t")
    assert seen["json"]["result_type"] == "SUMMARY_SUPERSET"
    assert len(seen["samples"]) == 1
    assert seen["cancel_error"][0] == 400
    assert "Registered or Submitted" in seen["cancel_error"][1]
    assert seen["after_delete"] is None


async def test_the_vendor_client_sees_api_key_auth_and_error_details(
    emulator: Emulator, emulator_url: str
) -> None:
    def calls() -> tuple[Any, Any]:
        good = octopod.OctopodClient(base_url=emulator_url, api_key=emulator.api_key)
        bad = octopod.OctopodClient(base_url=emulator_url, api_key="wrong")
        with pytest.raises(octopod.OctopodApiException) as failure:
            bad.organization_api.get_organization_info()
        return good.organization_api.get_organization_info(), failure.value

    org, error = await asyncio.to_thread(calls)
    assert org["name"] == emulator.state.org.name
    assert error.status_code == 401
    assert error.message == "Given token not valid for any token type"
