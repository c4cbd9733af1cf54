"""What the review screen is given for each field, without a server: the API gives a
field's page counting from 1 (as /pages/{n}) and its box as fractions of that page; the
page shows page images counting from 0 and draws the box in percent of the image."""
from __future__ import annotations

from api.models import FieldOut, FieldsOut
from api.pages.review_data import PageImage, box_percent, field_rows, page_index

PAGES = [PageImage(0, 1000, 2000, "a"), PageImage(1, 800, 600, "b")]


def _fields(*fields: FieldOut) -> FieldsOut:
    return FieldsOut(document_id="D", version=1, etag='"1"', status="needs_review",
                     fields=list(fields), messages=[])


def _field(key: str, page: int | None, box: list[float] | None) -> FieldOut:
    return FieldOut(key=key, name=key.upper(), value="x", source="ocr", confidence=87.5,
                    page=page, box=box, messages=[])


def test_the_api_page_from_one_is_the_page_image_from_zero():
    assert page_index(1, PAGES) == 0 and page_index(2, PAGES) == 1
    assert page_index(0, PAGES) is None and page_index(3, PAGES) is None
    assert page_index(None, PAGES) is None


def test_each_row_carries_its_page_image_and_its_box_in_percent():
    rows = field_rows(_fields(_field("so", 1, [0.1, 0.2, 0.35, 0.25]),
                              _field("ten", 2, [0.5, 0.5, 0.75, 1.0]),
                              _field("lost", 3, [0.1, 0.1, 0.2, 0.2]),
                              _field("typed", None, None)), PAGES, None)
    by_key = {r["key"]: r for r in rows}
    assert by_key["so"]["page"] == 0 and by_key["so"]["box"] == [10.0, 20.0, 25.0, 5.0]
    assert by_key["ten"]["page"] == 1 and by_key["ten"]["box"] == [50.0, 50.0, 25.0, 50.0]
    assert by_key["lost"]["page"] is None and by_key["lost"]["box"] is None  # no such page
    assert by_key["typed"]["box"] is None
    assert by_key["so"]["confidence"] == 87.5  # 0..100, as the API gives it


def test_boxes_in_pixels_are_divided_by_the_page_size():
    assert box_percent([100, 400, 300, 500], PAGES[0]) == [10.0, 20.0, 20.0, 5.0]
    assert box_percent([100, 400, 300, 500], PageImage(0, 0, 0, "")) is None
    assert box_percent([0.1, 0.2], PAGES[0]) is None
