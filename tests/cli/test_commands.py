"""Every ``galatea`` command, through click's runner, against the demo emulator over TCP.

Each test names the ``octo`` command it stands in for, so parity is easy to check.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from galatea_async import webhooks
from tests.cli.conftest import ServedEmulator

VCF = (
    b"##fileformat=VCFv4.2\n"
    b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
    + b"".join(
        b"%d\t%d\trs%d\tA\tG\t50\tPASS\t.\tGT\t0/1\n" % (c, 10_000 * c, 1000 + c)
        for c in range(1, 23)
    )
)


def as_json(served: ServedEmulator, *args: str) -> Any:
    result = served.invoke("--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def first_completed_order(served: ServedEmulator, *, model: str | None = None) -> dict[str, Any]:
    orders = as_json(served, "orders", "list", "--status-group", "completed")
    return next(o for o in orders if model is None or o["model"] == model)


def valid_file(served: ServedEmulator) -> dict[str, Any]:
    files = as_json(served, "files", "list", "--only-acceptable")
    return next(f for f in files if f["status"] == "VALID")


# --- config: set-config, get-config, clear-config --------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_config_set_writes_an_owner_only_file_and_get_never_shows_secrets(
    served: ServedEmulator,
) -> None:
    result = served.invoke(
        "config",
        "set",
        "--email",
        "lab@example.com",
        "--password",
        "hunter2-secret-pw",
        "--api-key",
        "key-0123456789-abcdef",
        "--download-folder",
        "/data/galatea",
        credentials=False,
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(served.config.stat().st_mode) == 0o600
    shown = served.invoke("config", "get", credentials=False)
    assert shown.exit_code == 0
    assert "lab@example.com" in shown.stdout
    assert "/data/galatea" in shown.stdout
    for secret in ("hunter2-secret-pw", "key-0123456789-abcdef"):
        assert secret not in shown.output
        assert secret not in result.output
    as_data = json.loads(served.invoke("--json", "config", "get", credentials=False).stdout)
    assert as_data["password"] == "[hidden]"
    assert as_data["api_key"] == "[hidden]"


# TTY_COMPATIBLE=1 makes rich draw as on a terminal (colours, styles) under the test runner.
ON_A_TERMINAL_AND_NOT = pytest.mark.parametrize(
    "terminal", [{"TTY_COMPATIBLE": "1"}, {}], ids=["terminal", "pipe"]
)


def _table_rows(stdout: str) -> dict[str, str]:
    """``field value`` rows of a detail table, styles removed."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", stdout)
    rows = (line.split(None, 1) for line in plain.splitlines() if line.strip())
    return {row[0]: row[1].strip() if len(row) > 1 else "" for row in rows}


@ON_A_TERMINAL_AND_NOT
def test_config_get_table_shows_secrets_as_hidden_or_not_set(
    served: ServedEmulator, terminal: dict[str, str]
) -> None:
    served.invoke("config", "set", "--api-key", "key-0123456789-abcdef", credentials=False)
    shown = served.invoke("config", "get", credentials=False, env=terminal)
    assert shown.exit_code == 0, shown.output
    rows = _table_rows(shown.stdout)
    assert rows["api_key"] == "[hidden]"
    assert rows["password"] == "(not set)"
    assert "key-0123456789-abcdef" not in shown.output


@ON_A_TERMINAL_AND_NOT
def test_org_info_table_shows_the_webhooks_secret_as_hidden(
    served: ServedEmulator, terminal: dict[str, str]
) -> None:
    shown = served.invoke("org", "info", env=terminal)
    assert shown.exit_code == 0, shown.output
    assert _table_rows(shown.stdout)["webhooks_secret"] == "[hidden]"
    secret = served.in_loop(lambda: served.emulator.state.org.webhooks_secret)
    assert secret and secret not in shown.output


def test_config_set_password_alone_prompts_without_echo(served: ServedEmulator) -> None:
    result = served.invoke(
        "config",
        "set",
        "--email",
        "lab@example.com",
        "--password",
        input="prompted-secret-pw\nprompted-secret-pw\n",
        credentials=False,
    )
    assert result.exit_code == 0, result.output
    assert "prompted-secret-pw" not in result.output
    assert 'password = "prompted-secret-pw"' in served.config.read_text()


def test_config_clear_removes_the_file(served: ServedEmulator) -> None:
    served.invoke("config", "set", "--api-key", "k" * 20, credentials=False)
    assert served.config.exists()
    result = served.invoke("config", "clear", credentials=False)
    assert result.exit_code == 0
    assert not served.config.exists()
    assert served.invoke("config", "get", credentials=False).exit_code == 1


def test_stored_api_key_is_used_when_no_flag_or_variable_gives_one(
    served: ServedEmulator,
) -> None:
    served.invoke(
        "config",
        "set",
        "--api-key",
        served.emulator.api_key,
        "--base-url",
        served.base_url,
        credentials=False,
    )
    result = served.invoke("--json", "tags", "list", credentials=False)
    assert result.exit_code == 0, result.output
    assert {tag["name"] for tag in json.loads(result.stdout)} >= {"Cohort A", "Research"}


def test_flag_beats_environment_beats_config(
    served: ServedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    served.invoke("config", "set", "--api-key", "wrong-key-from-config", credentials=False)
    monkeypatch.setenv("GALATEA_API_KEY", served.emulator.api_key)
    assert served.invoke("tags", "list", credentials=False).exit_code == 0
    monkeypatch.setenv("GALATEA_API_KEY", "wrong-key-from-environment")
    assert served.invoke("tags", "list", credentials=False).exit_code == 1
    assert served.invoke("tags", "list").exit_code == 0  # the --api-key flag


def test_email_and_password_log_in(served: ServedEmulator) -> None:
    result = served.invoke(
        "--email",
        served.emulator.email,
        "--password",
        served.emulator.password,
        "--json",
        "org",
        "info",
        credentials=False,
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["name"] == "Demo Lab"


# --- organization: get-organization-info, get-organization-models ----------------------------


def test_org_info_hides_the_webhooks_secret(served: ServedEmulator) -> None:
    for args in (("org", "info"), ("--json", "org", "info")):
        result = served.invoke(*args)
        assert result.exit_code == 0, result.output
        assert served.emulator.webhooks_secret not in result.output
    org = as_json(served, "org", "info")
    assert org["webhooks_secret"] == "[hidden]"
    assert "prs ruo model" in org["available_models"]


def test_org_models_lists_model_names(served: ServedEmulator) -> None:
    result = served.invoke("org", "models")
    assert result.exit_code == 0, result.output
    assert "ancestry pdf model" in result.stdout
    names = [model["name"] for model in as_json(served, "org", "models")]
    assert "prs clinical model" in names


# --- files: api-upload-file, find-file, update-file-sample-alias, download-file, delete-file --


def test_file_upload_get_alias_download_delete(served: ServedEmulator, tmp_path: Path) -> None:
    source = tmp_path / "lab-sample.vcf"
    source.write_bytes(VCF)
    uploaded = as_json(served, "files", "upload", str(source))
    file_id = uploaded["id"]
    assert uploaded["src_file_name"] == "lab-sample.vcf"

    assert as_json(served, "files", "get", file_id)["id"] == file_id
    listed = as_json(served, "files", "list", "--file", "lab-sample.vcf")
    assert [f["id"] for f in listed] == [file_id]
    table = served.invoke("files", "list", "--file", "lab-sample.vcf")
    assert file_id in table.stdout

    assert as_json(served, "files", "set-alias", file_id, "S-042")["sample_alias"] == "S-042"

    result = served.invoke("files", "download", file_id, "--dest", str(tmp_path / "out") + "/")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "lab-sample.vcf").read_bytes() == VCF
    again = served.invoke("files", "download", file_id, "--dest", str(tmp_path / "out") + "/")
    assert again.exit_code == 1
    assert "--overwrite" in again.stderr

    result = served.invoke("files", "delete", file_id)
    assert result.exit_code == 0, result.output
    assert served.invoke("files", "get", file_id).exit_code == 1


def test_files_wait_returns_once_valid(served: ServedEmulator, tmp_path: Path) -> None:
    source = tmp_path / "fresh.vcf"
    source.write_bytes(VCF)
    file_id = as_json(served, "files", "upload", str(source))["id"]
    served.in_loop(served.emulator.clock.advance, 600)
    waited = as_json(served, "files", "wait", file_id, "--poll-interval", "0.05", "--timeout", "20")
    assert waited["status"] == "VALID"


def test_files_wait_fails_for_a_file_that_is_not_valid(served: ServedEmulator) -> None:
    files = as_json(served, "files", "list", "--file", "notes-not-a-genotype.txt")
    result = served.invoke("files", "wait", files[0]["id"], "--poll-interval", "0.05")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "NOT_VALID" in result.stderr


# --- orders: submit-order, find-order, update-order-tags, cancel-order -----------------------


def test_order_submit_find_tag_and_cancel(served: ServedEmulator) -> None:
    source = valid_file(served)
    tag_id = as_json(served, "tags", "create", "cli-test")["id"]
    order = as_json(served, "orders", "submit", source["id"], "--model", "ancestry data model one")
    order_id = order["id"]
    assert order["model"] == "ancestry data model one"

    found = as_json(served, "orders", "find", order_id)
    assert [o["id"] for o in found] == [order_id]
    assert order_id in {o["id"] for o in as_json(served, "orders", "find", source["id"])}
    assert as_json(served, "orders", "get", order_id)["id"] == order_id

    tagged = as_json(served, "orders", "set-tags", order_id, "--tag", tag_id)
    assert [tag["id"] for tag in tagged["tags"]] == [tag_id]
    assert as_json(served, "orders", "set-tags", order_id)["tags"] == []

    result = served.invoke("orders", "cancel", order_id)
    assert result.exit_code == 0, result.output
    assert as_json(served, "orders", "get", order_id)["status"] in ("Canceling", "Canceled")


def test_order_submit_with_pdf_reports_and_wait(served: ServedEmulator, tmp_path: Path) -> None:
    metadata = tmp_path / "meta.json"
    metadata.write_text(json.dumps({"sex": "Female", "dob": "1980-05-17"}))
    source = valid_file(served)
    submitted = as_json(
        served,
        "orders",
        "submit",
        source["id"],
        "--model",
        "prs ruo model",
        "--pdf-report-type",
        "PRS_RUO_CANCER",
        "--pdf-metadata",
        f"@{metadata}",
    )
    served.in_loop(served.emulator.clock.advance, 3600)
    waited = as_json(served, "orders", "wait", submitted["id"], "--poll-interval", "0.05")
    assert waited["status"] == "Completed"


def test_orders_wait_exits_1_for_a_failed_order(served: ServedEmulator) -> None:
    failed = as_json(served, "orders", "list", "--status", "Failed")
    result = served.invoke("orders", "wait", failed[0]["id"], "--poll-interval", "0.05")
    assert result.exit_code == 1
    assert "EXEC_ERRORS" in result.stderr


def test_orders_list_filters_and_tables(served: ServedEmulator) -> None:
    completed = as_json(served, "orders", "list", "--status-group", "completed")
    assert completed
    assert {o["status"] for o in completed} == {"Completed"}
    limited = as_json(served, "orders", "list", "--limit", "3")
    assert len(limited) == 3
    table = served.invoke("orders", "list", "--limit", "3")
    assert all(order["id"] in table.stdout for order in limited)


# --- tags: create-tag, list-tags, find-tag, update-tag; and delete ---------------------------


def test_tag_create_list_get_rename_delete(served: ServedEmulator) -> None:
    tag = as_json(served, "tags", "create", "Batch 7")
    assert tag["name"] == "Batch 7"
    assert [t["id"] for t in as_json(served, "tags", "list", "--name", "Batch 7")] == [tag["id"]]
    assert as_json(served, "tags", "get", tag["id"])["name"] == "Batch 7"
    assert as_json(served, "tags", "rename", tag["id"], "Batch 8")["name"] == "Batch 8"
    result = served.invoke("tags", "delete", tag["id"])
    assert result.exit_code == 0, result.output
    assert served.invoke("tags", "get", tag["id"]).exit_code == 1


# --- results: download-result-file, download-result-json, list-result-pdf-reports, samples ---


def test_results_download_writes_the_file(served: ServedEmulator, tmp_path: Path) -> None:
    order = first_completed_order(served)
    result_type = order["result_types"][0]
    data = as_json(
        served, "results", "download", order["id"], result_type, "--dest", str(tmp_path) + "/"
    )
    path = Path(data["path"])
    assert path.parent == tmp_path
    assert path.stat().st_size > 0


def test_results_download_lowercase_result_type_is_accepted(
    served: ServedEmulator, tmp_path: Path
) -> None:
    order = first_completed_order(served, model="ancestry data model one")
    result = served.invoke(
        "results", "download", order["id"], "summary_chroms", "--dest", str(tmp_path) + "/"
    )
    assert result.exit_code == 0, result.output
    assert "downloaded" in result.stdout


def test_results_json_prints_or_saves(served: ServedEmulator, tmp_path: Path) -> None:
    order = first_completed_order(served, model="ancestry data model one")
    printed = as_json(
        served, "results", "json", order["id"], "SUMMARY_CHROMS", "--show-patient-data"
    )
    target = tmp_path / "result.json"
    result = served.invoke("results", "json", order["id"], "SUMMARY_CHROMS", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text()) == printed
    # Printed without --show-patient-data, the sample ids are hidden; the file keeps them.
    hidden = as_json(served, "results", "json", order["id"], "SUMMARY_CHROMS")
    assert {sample["sample_id"] for sample in hidden["samples"]} == {"[hidden]"}


def test_results_pdf_reports_and_download_of_one(served: ServedEmulator, tmp_path: Path) -> None:
    order = first_completed_order(served, model="prs clinical model")
    reports = as_json(served, "results", "pdf-reports", order["id"])
    assert reports
    report = reports[0]
    table = served.invoke("results", "pdf-reports", order["id"])
    assert report["id"] in table.stdout
    saved = as_json(
        served,
        "results",
        "download",
        order["id"],
        "PDF_REPORT",
        "--pdf-request-id",
        report["id"],
        "--dest",
        str(tmp_path) + "/",
    )
    body = Path(saved["path"]).read_bytes()
    if report.get("file_size_bytes") is not None:
        assert len(body) == report["file_size_bytes"]
    if report.get("check_sum"):
        assert hashlib.md5(body).hexdigest() == report["check_sum"]


def test_results_samples(served: ServedEmulator) -> None:
    order = first_completed_order(served)
    result = served.invoke("--json", "results", "samples", order["id"])
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)
    assert served.invoke("results", "samples", order["id"]).exit_code == 0


# --- webhooks verify ----------------------------------------------------------------------


def test_webhooks_verify_accepts_a_good_signature_and_rejects_a_bad_one(
    served: ServedEmulator, tmp_path: Path
) -> None:
    body = json.dumps(
        {
            "order_id": "11111111-2222-3333-4444-555555555555",
            "new_status": "Completed",
            "source_file_id": "66666666-7777-8888-9999-000000000000",
            "source_file_name": "sample.vcf",
        }
    ).encode()
    delivery = tmp_path / "body.json"
    delivery.write_bytes(body)
    secret = served.emulator.webhooks_secret
    signature = webhooks.sign(body, secret=secret, sender_host="api.galatea.bio")

    # The secret is fetched from the API when not given.
    result = served.invoke("--json", "webhooks", "verify", str(delivery), "--signature", signature)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["event"]["order_id"] == "11111111-2222-3333-4444-555555555555"
    assert secret not in result.output

    from_stdin = served.invoke(
        "webhooks", "verify", "-", "--signature", signature, "--secret", secret, input=body
    )
    assert from_stdin.exit_code == 0, from_stdin.output

    tampered = served.invoke(
        "webhooks", "verify", "-", "--signature", signature, "--secret", secret, input=body + b" "
    )
    assert tampered.exit_code == 1
    assert tampered.stderr.count("\n") == 1
    assert secret not in tampered.output


def test_date_filters_reach_the_api(served: ServedEmulator) -> None:
    everything = as_json(served, "orders", "list")
    none_yet = as_json(served, "orders", "list", "--max-date", "2000-01-01")
    assert everything
    assert none_yet == []
    assert as_json(served, "files", "list", "--min-date", "2000-01-01")
    bad = served.invoke("orders", "list", "--min-date", "01/02/2025")
    assert bad.exit_code == 2
    assert "YYYY-MM-DD" in bad.stderr


def test_config_path_names_the_file_in_use(served: ServedEmulator) -> None:
    result = served.invoke("config", "path", credentials=False)
    assert result.stdout.strip() == str(served.config)
