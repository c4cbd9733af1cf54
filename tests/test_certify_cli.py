"""`sohoa certify` end to end: an original digitized by the real `sohoa process`, then
certified copies made, signed by the certifier and the agency, verified by pyHanko
(pipeline.signing.validation), Poppler's pdfsig and `sohoa verify`, and recorded in the register.
Real parts only: the certomancer PKI (tests/pki_fixtures.py) serves the B-LTA run, and the
failed verification is a real certificate nobody configured as trusted."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from datetime import datetime
from pathlib import Path

import pikepdf
import pikepdf.pdfa
import pytest
from click.testing import CliRunner
from pyhanko.keys import load_cert_from_pemder
from test_certify import first_revision, pdftotext, squash
from test_signing import pdfsig

from cli.certify import certify, register
from cli.verify import verify
from pipeline.certification.statement import AGENCY_FIELD, CERTIFIER_FIELD, date_line, fee
from pipeline.core.naming import VIETNAM
from pipeline.signing.configured import certifier_test_name
from pipeline.signing.identity import identity_ca_cert_path
from pipeline.signing.validation import verify_pdf
from storage.cert_register import CertRegister

pytest_plugins = ["pki_fixtures"]
AGENCY = "ĐƠN VỊ SỐ HÓA THỬ NGHIỆM"  # Settings' default agency name
PEOPLE = ["--requester", "Trần Văn Minh", "--certifier", "Nguyễn Thị Hồng Nhung",
          "--certifier-title", "Phó Chủ tịch"]


@pytest.fixture(scope="module")
def digitized(tmp_path_factory, run_sohoa) -> tuple[Path, str]:
    """(output folder, document id) of one one-page document through `sohoa process`."""
    from samples.generate import generate_batch

    batch = tmp_path_factory.mktemp("certify-cli") / "batch"
    generate_batch(batch, per_type=1, seed=3, degraded_ratio=0.0, rotations=False,
                   max_skew=0.0, formats=("png",), dpis=(200,))
    truth = json.loads((batch / "truth.json").read_text("utf-8"))["documents"]
    keep = next(d["source"] for d in truth if d["document_type"] == "giay_khai_sinh")
    for path in sorted(batch.rglob("*"), reverse=True):
        if path.is_file() and path.relative_to(batch).as_posix() != keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    out = batch.parent / "out"
    proc = run_sohoa("process", batch, "--out", out)
    assert proc.returncode == 0, proc.stderr
    (result,) = [json.loads(p.read_text("utf-8")) for p in out.rglob("*.result.json")]
    return out, result["document_id"]


@pytest.fixture(scope="module")
def cli(sohoa_env):
    """Invoke a click command in-process with the test environment (SOHOA_HOME...)."""
    def run(command, *args, env: dict | None = None):
        clean = {k: None for k in os.environ if k.startswith("SOHOA_")}
        result = CliRunner().invoke(command, [str(a) for a in args],
                                    env={**clean, **sohoa_env, **(env or {})})
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            result.exception
        return result
    return run


def trust_roots_for(home: Path) -> list:
    return [load_cert_from_pemder(identity_ca_cert_path(home, name))
            for name in (AGENCY, certifier_test_name(AGENCY))]


@pytest.fixture(scope="module")
def certified(digitized, cli) -> dict:
    out, document_id = digitized
    year = datetime.now(VIETNAM).year
    run = cli(certify, document_id, *PEOPLE, "--copies", 2, "--book", f"02/{year}",
              "--out", out, "--json")
    assert run.exit_code == 0, run.output
    assert "THỬ NGHIỆM" in run.stderr
    return json.loads(run.stdout)


def test_two_copies_share_one_number_and_are_recorded(certified, digitized):
    out, document_id = digitized
    s = certified
    year = datetime.now(VIETNAM).year
    assert (s["year"], s["book"], s["book_label"]) == (year, f"02/{year}", f"02/{year}-SCTĐT/BS")
    assert s["original"]["id"] == document_id and s["original"]["pages"] == 1
    assert s["original"]["name"].startswith("Giấy khai sinh")
    assert s["fee"] == fee(1, 2) == 4_000 and s["test_signatures"] is True
    ids = [c["copy_id"] for c in s["copies"]]
    assert len(set(ids)) == 2
    assert json.loads((out / s["summary_file"]).read_text("utf-8")) == s
    for c in s["copies"]:
        agency = document_id.split("-")[0]  # each agency numbers its own register
        assert s["agency"] == agency
        assert c["file"] == f"certified/{year}/{agency}-{s['number']:06d}-{c['copy_id']}.pdf"
        assert c["verify_url"] == f"http://localhost:8000/verify/{c['copy_id']}"
        assert c["code"].replace("-", "") == c["copy_id"] and c["pades_level"] == "B-B"
        assert hashlib.sha256((out / c["file"]).read_bytes()).hexdigest() == c["sha256"]
    with CertRegister(f"sqlite:///{out / '.sohoa' / 'sohoa.sqlite'}") as book:
        entries = [book.find_copy(i) for i in ids]
    assert entries[0] == entries[1] and entries[0].number == s["number"]
    assert entries[0].copy_ids == tuple(ids) and entries[0].requester == "Trần Văn Minh"
    assert entries[0].original_id == document_id and entries[0].fee == 4_000


def test_copies_verify_with_both_signatures_in_order(certified, digitized, sohoa_home, tmp_path):
    out, _ = digitized
    for c in certified["copies"]:
        data = (out / c["file"]).read_bytes()
        report = verify_pdf(data, trust_roots=trust_roots_for(sohoa_home))
        assert report.ok, report.to_json()
        assert [s.field for s in report.signatures] == [CERTIFIER_FIELD, AGENCY_FIELD]
        assert "cán bộ chứng thực" in report.signatures[0].signer
        assert report.pdfa.passed and report.signatures[1].coverage == "entire_file"
        base = tmp_path / f"{c['copy_id']}-base.pdf"
        base.write_bytes(first_revision(data))  # the PDF/A before any signature
        checked = pikepdf.pdfa.validate_written(base, "2b")
        assert checked.verdict == "pass", (checked.violations, len(base.read_bytes()), len(data))
        sigs = pdfsig(out / c["file"])
        assert [s["Signature Field Name"] for s in sigs] == [CERTIFIER_FIELD, AGENCY_FIELD]
        assert [s["Signature Validation"] for s in sigs] == ["Signature is Valid."] * 2
        assert "Total document signed" in sigs[1]


def test_statement_and_signature_texts_on_the_last_page(certified, digitized):
    out, document_id = digitized
    s = certified
    for c in s["copies"]:
        text = squash(pdftotext(out / c["file"], 2))
        lines = ["Chứng thực bản sao đúng với bản chính.",
                 f"Số chứng thực: {s['number']} Quyển số: {s['book_label']}",
                 date_line(datetime.fromisoformat(s["date"]).date())]
        for expected in [*lines, "Nguyễn Thị Hồng Nhung", "Phó Chủ tịch", c["code"],
                         c["verify_url"], document_id, "ĐÃ CHUYỂN ĐỔI TỪ VĂN BẢN GIẤY",
                         f"Cơ quan, người chuyển đổi: {AGENCY}",
                         "Ký bởi: Nguyễn Thị Hồng Nhung", f"Ký bởi: {AGENCY}"]:
            assert squash(expected) in text, expected
        assert re.search(r"Thời gian ký: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", text)


def test_tampered_copy_fails_sohoa_verify(certified, digitized, sohoa_home, cli, tmp_path):
    out, _ = digitized
    good = out / certified["copies"][0]["file"]
    trust = [a for name in (AGENCY, certifier_test_name(AGENCY))
             for a in ("--trust", identity_ca_cert_path(sohoa_home, name))]
    assert cli(verify, good, *trust).exit_code == 0
    data = bytearray(good.read_bytes())
    offset = data.index(b"\xff\xd8\xff") + 600  # inside the scan's JPEG, a signed byte
    data[offset] ^= 0x01
    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(bytes(data))
    run = cli(verify, bad, *trust)
    assert run.exit_code == 1
    assert "KHÔNG HỢP LỆ" in run.stdout and "bị thay đổi" in run.stdout


def test_refusals_say_why_and_take_no_number(digitized, cli, tmp_path):
    out, document_id = digitized
    db = f"sqlite:///{out / '.sohoa' / 'sohoa.sqlite'}"
    with CertRegister(db) as book:
        before = book.entries(datetime.now(VIETNAM).year)
    text = tmp_path / "note.pdf"
    text.write_text("không phải PDF")
    plain = tmp_path / "plain.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(plain)
    pdfa = next(out.rglob("*.unsigned.pdf"))
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(pdfa) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="o", user="u"))
    for source, message in (("H00.00.00.00-000000-0000.9", "Không tìm thấy tài liệu"),
                            (text, "không phải tệp PDF"), (plain, "không phải PDF/A"),
                            (locked, "bị mã hóa")):
        run = cli(certify, source, *PEOPLE, "--out", out)
        assert run.exit_code == 1, run.output
        assert message in run.stderr and run.stderr.startswith("Lỗi: ")
    for args in ([document_id, "--out", out], [document_id, *PEOPLE],
                 [document_id, *PEOPLE, "--out", out, "--book", "2026"],
                 [document_id, *PEOPLE, "--out", out, "--copies", 0]):
        assert cli(certify, *args).exit_code == 2
    with CertRegister(db) as book:
        assert book.entries(datetime.now(VIETNAM).year) == before


def test_a_copy_that_does_not_verify_is_not_handed_out(digitized, cli, pki, tmp_path, caplog):
    """Real identities whose CA nobody configured as trusted (no SOHOA_TRUST_ROOTS)."""
    caplog.set_level(logging.INFO, logger="sohoa.cli")  # a refusal's detail, should it fail
    out, document_id = digitized
    env = _pki_identities(pki, tmp_path)
    original = next(out.rglob(f"{document_id}.pdf"))  # a fresh register in another folder
    run = cli(certify, original, *PEOPLE, "--out", tmp_path / "copies", env=env)
    assert run.exit_code == 1 and "không qua kiểm tra chữ ký số" in run.stderr, \
        (run.output, caplog.text, pikepdf.pdfa.validate_written(original, "2b").findings)
    assert not (tmp_path / "copies" / "certified").exists()
    year = datetime.now(VIETNAM).year
    with CertRegister(f"sqlite:///{tmp_path / 'copies' / '.sohoa' / 'sohoa.sqlite'}") as book:
        (entry,) = book.entries(year)
    assert "Không cấp được bản sao" in entry.notes  # the number stays, with the reason


def test_mixed_real_and_test_identities_are_refused(digitized, cli, pki, tmp_path):
    out, document_id = digitized
    env = _pki_identities(pki, tmp_path)
    del env["SOHOA_SIGNING_P12"]
    assert cli(certify, document_id, *PEOPLE, "--out", out, env=env).exit_code == 2


def _pki_identities(pki, tmp_path: Path) -> dict:
    """The certomancer certifier and agency as PKCS#12, passphrases by file and by value."""
    secret, agency_secret = b"certifier-pass-7f3a", "agency-pass-91c2"
    pass_file = tmp_path / "certifier.pass"
    pass_file.write_bytes(secret + b"\n")
    return {"SOHOA_CERTIFIER_P12": str(pki.p12("official-rsa", secret)),
            "SOHOA_CERTIFIER_PASSPHRASE_FILE": str(pass_file),
            "SOHOA_SIGNING_P12": str(pki.p12("signer-rsa", agency_secret.encode())),
            "SOHOA_SIGNING_PASSPHRASE": agency_secret}


def test_b_lta_copy_of_a_file_with_real_identities(digitized, cli, pki, tmp_path):
    out, document_id = digitized
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root.dump())
    env = {**_pki_identities(pki, tmp_path), "SOHOA_SIGNING_LEVEL": "B-LTA",
           "SOHOA_TSA_URL": pki.tsa_url, "SOHOA_TRUST_ROOTS": str(root)}
    signed_original = next(out.rglob(f"{document_id}.pdf"))
    run = cli(certify, signed_original, *PEOPLE, "--out", tmp_path / "lta", "--json",
              "--document-name", "Giấy khai sinh của Trần Văn Minh", env=env)
    assert run.exit_code == 0, run.output
    s = json.loads(run.stdout)
    assert s["number"] == 1 and s["test_signatures"] is False  # a new register
    (c,) = s["copies"]
    assert c["pades_level"] == "B-LTA"
    data = (tmp_path / "lta" / c["file"]).read_bytes()
    report = verify_pdf(data, trust_roots=[pki.root])
    assert report.ok, report.to_json()
    levels = [(r.field, r.level) for r in report.signatures if r.kind == "signature"]
    assert levels == [(CERTIFIER_FIELD, "B-LTA"), (AGENCY_FIELD, "B-LTA")]
    assert "Giấy khai sinh của Trần Văn Minh" in squash(pdftotext(tmp_path / "lta" / c["file"], 2))
    written = b"".join(p.read_bytes() for p in (tmp_path / "lta").rglob("*") if p.is_file())
    for secret in (b"certifier-pass-7f3a", b"agency-pass-91c2"):
        assert secret not in written and secret.decode() not in run.output


def test_register_export(certified, digitized, cli, tmp_path):
    out, _ = digitized
    year = certified["year"]
    run = cli(register, "export", "--year", year, "--out", out)
    assert run.exit_code == 0, run.output
    assert f"{certified['number']},{certified['book_label']}" in run.stdout
    assert " ".join(c["copy_id"] for c in certified["copies"]) in run.stdout
    pdf = tmp_path / "register.pdf"
    assert cli(register, "export", "--year", year, "--out", out, "--format", "pdf",
               "-o", pdf).exit_code == 0
    assert pikepdf.pdfa.validate_written(pdf, "2b").passed
    assert cli(register, "export", "--year", year, "--format", "pdf").exit_code == 2
    assert cli(register, "export", "--year", year, "--out", tmp_path).exit_code == 2
    assert not (tmp_path / ".sohoa").exists()  # no empty register made by a typo
