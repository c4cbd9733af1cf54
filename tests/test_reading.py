"""Reading order: two-column blocks are read column by column, the rest row by row."""
from __future__ import annotations

from pipeline.core.model import Word
from pipeline.core.reading import reading_text

H = 40


def _row(y: int, line: int, *cells: tuple[int, str]) -> list[Word]:
    words = []
    for x, text in cells:
        for word in text.split():
            words.append(Word(word, x, y, len(word) * 20, H, 95.0, line))
            x += (len(word) + 1) * 20
    return words


def test_the_administrative_header_is_read_one_block_then_the_other():
    words = (_row(100, 0, (100, "UBND TỈNH KON TUM"), (1200, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA"))
             + _row(160, 1, (150, "SỞ Y TẾ"), (1300, "Độc lập - Tự do"))
             + _row(220, 2, (100, "Số: 12/SYT-VP"), (1250, "Kon Tum, ngày 2 tháng 3"))
             + _row(400, 3, (100, "Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh về việc số hóa hồ"
                                  " sơ và kết quả giải quyết thủ tục hành chính")))
    assert reading_text(words).splitlines() == [
        "UBND TỈNH KON TUM", "SỞ Y TẾ", "Số: 12/SYT-VP",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA", "Độc lập - Tự do", "Kon Tum, ngày 2 tháng 3",
        "Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh về việc số hóa hồ sơ và kết quả giải "
        "quyết thủ tục hành chính"]


def test_husband_and_wife_columns_come_apart_and_labels_stay_with_the_husband():
    # OCR cut the wife's column into lines of its own (other line numbers), as Tesseract may
    words = (_row(100, 0, (100, "Họ, chữ đệm, tên:"), (700, "NGUYỄN MINH ANH"))
             + _row(102, 5, (1500, "VÕ THANH NGA"))
             + _row(160, 1, (100, "Ngày sinh:"), (700, "17/02/1983"))
             + _row(161, 6, (1500, "17/01/1993"))
             + _row(220, 2, (100, "Dân tộc:"), (700, "Kinh"), (1500, "Tày")))
    assert reading_text(words).splitlines() == [
        "Họ, chữ đệm, tên: NGUYỄN MINH ANH", "Ngày sinh: 17/02/1983", "Dân tộc: Kinh",
        "VÕ THANH NGA", "17/01/1993", "Tày"]


def test_plain_rows_keep_their_order():
    words = (_row(100, 0, (100, "GIẤY KHAI SINH")) + _row(160, 1, (100, "Họ và tên: AN"))
             + _row(220, 2, (100, "Giới tính: Nữ"), (800, "Dân tộc: Kinh")))
    assert reading_text(words).splitlines() == ["GIẤY KHAI SINH", "Họ và tên: AN",
                                                "Giới tính: Nữ Dân tộc: Kinh"]


def test_a_label_and_its_value_across_a_tab_stop_stay_one_line():
    words = (_row(100, 0, (100, "Số định danh cá nhân:"), (900, "089177091993"))
             + _row(160, 1, (100, "Đã chết vào lúc:"), (900, "09 giờ 09 phút")))
    assert reading_text(words).splitlines() == ["Số định danh cá nhân: 089177091993",
                                                "Đã chết vào lúc: 09 giờ 09 phút"]
