"""The document index on both real backends: SQLite (FTS5) and the local PostgreSQL.

Each PostgreSQL test gets a schema of its own (search_path in the URL), dropped afterwards,
so runs are repeatable and never touch other tables of database `test`.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import text

from cli.find import find
from pipeline.core.settings import Settings
from storage.index import DocumentIndex, fold
from storage.index_db import alembic_config
from tests.conftest import postgres_schema

POSTGRES = os.environ.get("SOHOA_TEST_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")
HUSBAND, WIFE, CHILD = "079090001234", "079192005678", "079321004321"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'index.sqlite'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture
def index(url):
    with DocumentIndex(url) as opened:
        yield opened


def make_result(document_id: str, *, dossier: str = "H00-260101-0001", kind: str | None =
                "giay_khai_sinh", fields: dict | None = None, text: str = "", pages: int = 1,
                status: str = "done") -> dict:
    """A result.json as ../shared/spec/documents.md defines it, small."""
    digest = lambda role: (document_id + role).encode().hex().ljust(64, "0")[:64]  # noqa: E731
    result = {
        "dossier_id": dossier, "document_id": document_id, "source": f"{dossier}/{document_id}.png",
        "status": status, "document_type": kind, "fields": fields or {},
        "validation": {"valid": status == "done", "errors": []},
        "pages": [{"index": i, "rotation": 0, "skew_deg": 0.0, "ocr_confidence": 90.0}
                  for i in range(pages)],
        "text": text,
        "sha256": {role: digest(role) for role in ("original", "pdfa", "signed")},
        "artifacts": {"pdfa": f"{dossier}/{document_id}.unsigned.pdf",
                      "signed": f"{dossier}/{document_id}.pdf"},
    }
    if status == "failed":
        result.update(error="Không đọc được tệp.", pages=[], text="", artifacts={},
                      sha256={"original": digest("original")})
    return result


BIRTH = make_result("H00-260101-0001.1", fields={
    "ho_ten": "TRẦN THỊ BÌNH", "ngay_sinh": "2021-03-05", "gioi_tinh": "Nữ",
    "so_dinh_danh": CHILD, "cha_ho_ten": "ĐẶNG VĂN ĐỨC", "cha_nam_sinh": 1990,
    "noi_dang_ky": "UBND xã Đắk Hring", "ngay_dang_ky": "2021-03-10", "so": "45"},
    text="GIẤY KHAI SINH\nHọ, chữ đệm, tên: TRẦN THỊ BÌNH\nCha: ĐẶNG VĂN ĐỨC\f"
         "Nơi đăng ký: UBND xã Đắk Hring, huyện Đắk Hà, tỉnh Kon Tum", pages=2)
MARRIAGE = make_result("H00-260101-0001.2", kind="giay_chung_nhan_ket_hon", fields={
    "chong_ho_ten": "NGUYỄN VĂN AN", "chong_so_dinh_danh": HUSBAND, "vo_ho_ten": "LÊ THỊ HOA",
    "vo_so_dinh_danh": WIFE, "ngay_dang_ky": "2019-06-01"},
    text="GIẤY CHỨNG NHẬN KẾT HÔN\nHọ tên chồng: NGUYỄN VĂN AN\nHọ tên vợ: LÊ THỊ HOA")


def test_fold_is_the_one_folding():
    assert fold("  TRẦN  Thị\tĐỨC \n") == "tran thi duc"
    assert fold("Đắk Lắk") == fold("dak lak") == "dak lak"


def test_record_twice_never_duplicates_and_re_record_replaces(index):
    for _ in range(2):
        index.record(BIRTH, out_root="/srv/out", owners=[CHILD])
    assert index.search("tran thi binh").total == 1
    assert index.find_fields(document_type="giay_khai_sinh").total == 1
    assert len(index.find_owner(CHILD)) == 1
    assert index.dossier_metadata(BIRTH["dossier_id"])["PageTotal"] == 2

    corrected = make_result(BIRTH["document_id"], fields={**BIRTH["fields"], "ho_ten": "TRẦN THỊ BÍCH"},
                            text="GIẤY KHAI SINH\nHọ, chữ đệm, tên: TRẦN THỊ BÍCH")
    index.record(corrected, out_root="/srv/out", owners=[WIFE])
    assert index.search("binh").total == 0 and index.search("bich").total == 1
    assert index.find_fields(fields={"ho_ten": "Tran Thi Binh"}).total == 0
    assert index.find_fields(fields={"ho_ten": "Tran Thi Bich"}).total == 1
    assert index.find_owner(CHILD) == [] and len(index.find_owner(WIFE)) == 1
    assert index.dossier_metadata(BIRTH["dossier_id"])["PageTotal"] == 1


def test_failed_result_is_not_indexed_and_keeps_the_earlier_record(index):
    index.record(make_result("H00-260101-0002.1", status="failed"), out_root="/o", owners=[CHILD])
    assert index.get("H00-260101-0002.1") is None and index.find_owner(CHILD) == []
    index.record(BIRTH, out_root="/o", owners=[CHILD])
    index.record(make_result(BIRTH["document_id"], status="failed"), out_root="/o", owners=[])
    assert index.get(BIRTH["document_id"]).status == "done"


def test_owner_lookup_returns_storage_keys(index):
    index.record(BIRTH, out_root="/srv/out", owners=[CHILD])
    index.record(MARRIAGE, out_root="/srv/out", owners=[HUSBAND, WIFE])
    hits = index.find_owner(WIFE)
    assert [h.document_id for h in hits] == [MARRIAGE["document_id"]]
    hit = hits[0]
    assert hit.signed_sha256 == MARRIAGE["sha256"]["signed"]
    assert hit.sha256 == MARRIAGE["sha256"] and hit.artifacts == MARRIAGE["artifacts"]
    assert str(hit.path()) == f"/srv/out/{MARRIAGE['artifacts']['signed']}"
    assert hit.owners == sorted([HUSBAND, WIFE])
    reuse = hit.reuse_record()
    assert reuse["result_id"] == MARRIAGE["document_id"]
    assert reuse["TenGiayTo"] == "Giấy chứng nhận kết hôn" and reuse["owner_ids"] == hit.owners
    assert {f["sha256"] for f in reuse["files"]} == {MARRIAGE["sha256"]["pdfa"], hit.signed_sha256}
    assert index.find_owner("001099000000") == []


def test_field_search_ignores_diacritics_case_and_spacing(index):
    index.record(BIRTH, out_root="/o", owners=[CHILD])
    index.record(MARRIAGE, out_root="/o", owners=[HUSBAND, WIFE])
    for typed in ("Tran Thi Binh", "  tran   THI binh ", "Trần Thị Bình", "TRẦN THỊ BÌNH"):
        found = index.find_fields(fields={"ho_ten": typed})
        assert [h.document_id for h in found.items] == [BIRTH["document_id"]], typed
    assert index.find_fields(fields={"cha_ho_ten": "dang van duc"}).total == 1  # đ/Đ -> d
    assert index.find_fields(fields={"cha_nam_sinh": "1990"}).total == 1  # numbers as printed
    assert index.find_fields(fields={"ho_ten": "Tran Thi Bin"}).total == 0  # whole value
    assert index.find_fields(fields={"ho_ten": "tran thi binh", "gioi_tinh": "nam"}).total == 0
    assert index.find_fields(document_type="giay_chung_nhan_ket_hon",
                             fields={"vo_ho_ten": "le thi hoa"}).total == 1
    assert index.find_fields(document_type="can_cuoc", fields={"ho_ten": "tran thi binh"}).total == 0


def test_full_text_is_folded_and_ranked(index):
    often = make_result("H00-260101-0003.1", kind="van_ban_hanh_chinh",
                        text="Đăng ký hộ tịch. Sổ hộ tịch. Trích lục hộ tịch cấp lại.")
    once = make_result("H00-260101-0003.2", kind="van_ban_hanh_chinh",
                       text="Số: 511/QĐ-UBND. Đăng ký hộ tịch. Sổ đất đai. Trích lục bản đồ.")
    for result in (once, often, MARRIAGE, BIRTH):
        index.record(result, out_root="/o", owners=[])
    found = index.search("ho tich")
    assert [h.document_id for h in found.items] == [often["document_id"], once["document_id"]]
    assert found.total == 2 and found.items[0].score > found.items[1].score
    assert "hộ tịch" in found.items[0].snippet  # snippet keeps the original accents

    assert [h.document_id for h in index.search("nguyen van an").items] == [MARRIAGE["document_id"]]
    birth = index.search("dak ha kon tum").items  # đ folds to d; the match is on page 2
    assert [h.document_id for h in birth] == [BIRTH["document_id"]] and birth[0].pages == [1]
    assert "Đắk Hà" in birth[0].snippet
    assert index.search('"thi binh"').total == 1 and index.search('"binh thi"').total == 0
    assert index.search("511/QĐ-UBND").total == 1 and index.search("UBND/511").total == 0
    assert index.search("ho tich", document_type="giay_khai_sinh").total == 0
    assert index.search("hộ tịch", owner=HUSBAND).total == 0
    assert index.search("  ").total == 0 and index.search("khong co chu nay").total == 0


def test_paging_totals(index):
    for n in range(25):
        index.record(make_result(f"H00-260102-0001.{n + 1:02d}", dossier="H00-260102-0001",
                                 fields={"noi_dang_ky": "UBND phường Quyết Thắng"},
                                 text=f"Trích lục số {n + 1}. Phường Quyết Thắng, Kon Tum."),
                     out_root="/o", owners=[])
    for run in (lambda p: index.search("quyet thang", page=p, per_page=10),
                lambda p: index.find_fields(fields={"noi_dang_ky": "ubnd phuong quyet thang"},
                                            page=p, per_page=10)):
        pages = [run(p) for p in (1, 2, 3, 4)]
        assert [len(p.items) for p in pages] == [10, 10, 5, 0]
        assert {p.total for p in pages} == {25} and pages[0].pages == 3
        ids = [h.document_id for p in pages for h in p.items]
        assert len(set(ids)) == 25
    with pytest.raises(ValueError):
        index.search("quyet", page=0)


def test_dossier_metadata_and_archive_overrides(index):
    index.record(BIRTH, out_root="/o", owners=[CHILD])
    index.record(MARRIAGE, out_root="/o", owners=[HUSBAND, WIFE], archive={
        "CodeNumber": "12", "CodeNotation": "HT", "OrganName": "UBND xã Đắk Hring",
        "ProcedureCode": "1.000894"})
    index.set_dossier(BIRTH["dossier_id"], title="Hồ sơ hộ tịch gia đình Nguyễn Văn An",
                      maintenance="Vĩnh viễn")
    assert index.dossier_metadata(BIRTH["dossier_id"]) == {
        "FileCode": BIRTH["dossier_id"], "Title": "Hồ sơ hộ tịch gia đình Nguyễn Văn An",
        "Maintenance": "Vĩnh viễn", "Language": "Tiếng Việt", "StartDate": "2019-06-01",
        "EndDate": "2021-03-10", "DocTotal": 2, "PageTotal": 3}
    birth = index.get(BIRTH["document_id"])
    assert birth.archive["ConfidenceLevel"] == "02" and birth.archive["PageAmount"] == 2
    assert birth.archive["OrganName"] == "UBND xã Đắk Hring"
    reuse = index.get(MARRIAGE["document_id"]).reuse_record()
    assert reuse["so_ky_hieu"] == "12/HT" and reuse["procedure_code"] == "1.000894"
    with pytest.raises(KeyError):
        index.dossier_metadata("H99-000000-0000")


def test_migrations_are_idempotent_and_safe_in_parallel(url):
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert "0001_index" in {r.revision for r in ScriptDirectory.from_config(
        alembic_config()).walk_revisions()}
    # Two processes opening a fresh database at the same moment: one migrates, one waits.
    opener = "import sys; from storage.index import DocumentIndex; DocumentIndex(sys.argv[1])"
    procs = [subprocess.Popen([sys.executable, "-c", opener, url], stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    for proc in procs:
        errors = proc.communicate(timeout=120)[1]
        assert proc.returncode == 0, errors
    with DocumentIndex(url) as first, DocumentIndex(url) as second:
        first.record(BIRTH, out_root="/o", owners=[CHILD])
        assert second.get(BIRTH["document_id"]).fields == BIRTH["fields"]
        with second.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head]


def _cli(url, tmp_path, *args):
    """Run `find` against the index at `url`: SQLite through --out, PostgreSQL through
    SOHOA_DATABASE_URL, the two ways the command finds its database."""
    if url.startswith("sqlite"):
        out = tmp_path / "out"
        with DocumentIndex(Settings(database_url=None).database_for(out)) as index:
            index.record(BIRTH, out_root=str(out), owners=[CHILD])
            index.record(MARRIAGE, out_root=str(out), owners=[HUSBAND, WIFE])
        return CliRunner(env={"SOHOA_DATABASE_URL": None}).invoke(find, [*args, "--out", str(out)])
    with DocumentIndex(url) as index:
        index.record(BIRTH, out_root="/o", owners=[CHILD])
        index.record(MARRIAGE, out_root="/o", owners=[HUSBAND, WIFE])
    return CliRunner(env={"SOHOA_DATABASE_URL": url}).invoke(find, list(args))


def test_find_command_table_and_json(url, tmp_path):
    table = _cli(url, tmp_path, "nguyen van an")
    assert table.exit_code == 0, table.output
    assert "Mã tài liệu" in table.output and MARRIAGE["document_id"] in table.output
    assert BIRTH["document_id"] not in table.output

    as_json = json.loads(_cli(url, tmp_path, "--owner", WIFE, "--json").stdout)
    assert as_json["total"] == 1
    assert as_json["items"][0]["signed_sha256"] == MARRIAGE["sha256"]["signed"]
    assert as_json["items"][0]["reuse"]["owner_ids"] == sorted([HUSBAND, WIFE])
    by_field = json.loads(_cli(url, tmp_path, "--type", "giay_khai_sinh", "--field",
                               "ho_ten=tran thi binh", "--json").stdout)
    assert [i["document_id"] for i in by_field["items"]] == [BIRTH["document_id"]]

    nothing = _cli(url, tmp_path, "khong co chu nay")
    assert nothing.exit_code == 0 and "Không tìm thấy" in nothing.output


def test_find_command_usage_errors(tmp_path):
    runner = CliRunner(env={"SOHOA_DATABASE_URL": None})
    assert runner.invoke(find, ["an"]).exit_code == 2  # neither --out nor SOHOA_DATABASE_URL
    assert runner.invoke(find, ["an", "--out", str(tmp_path)]).exit_code == 2  # no index there
    assert runner.invoke(find, ["--field", "ho_ten", "--out", str(tmp_path)]).exit_code == 2
    assert runner.invoke(find, ["--owner", "12345", "--out", str(tmp_path)]).exit_code == 2
