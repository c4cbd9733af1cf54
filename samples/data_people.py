"""Name and ethnic-group pools for realistic Vietnamese people.

Surname weights follow the well-known distribution (Nguyễn ~38 %, Trần, Lê, Phạm ...),
so extractors meet the common names most and the rare ones sometimes.
"""

from __future__ import annotations

SURNAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9.5), ("Phạm", 7), ("Hoàng", 4), ("Huỳnh", 3),
    ("Phan", 4.5), ("Vũ", 2.5), ("Võ", 2.5), ("Đặng", 2.1), ("Bùi", 2), ("Đỗ", 1.4),
    ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1), ("Lý", 0.5), ("Đinh", 0.8), ("Trịnh", 0.6),
    ("Đoàn", 0.6), ("Lương", 0.4), ("Mai", 0.4), ("Cao", 0.4), ("Tạ", 0.3), ("Hà", 0.4),
    ("Lâm", 0.3), ("Chu", 0.2), ("Triệu", 0.2), ("Kiều", 0.2), ("Quách", 0.2), ("Tô", 0.2),
    ("Vương", 0.2), ("Phùng", 0.2), ("Thái", 0.2), ("Lưu", 0.3),
)

MIDDLE_MALE = ("Văn", "Văn", "Văn", "Hữu", "Đức", "Minh", "Quang", "Công", "Thành", "Xuân",
               "Ngọc", "Đình", "Gia", "Hoàng", "Tiến", "Anh", "Trung", "Quốc", "Thế", "Bảo")
MIDDLE_FEMALE = ("Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Hồng", "Kim", "Phương",
                 "Minh", "Bảo", "Thùy", "Mỹ", "Diệu", "Khánh", "Như", "Hoài")
GIVEN_MALE = (
    "An", "Anh", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Đức", "Hải", "Hiếu", "Hoàng",
    "Hùng", "Huy", "Khang", "Khánh", "Khoa", "Kiên", "Lâm", "Long", "Lộc", "Minh", "Nam",
    "Nghĩa", "Nhân", "Phát", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Tâm", "Thắng",
    "Thành", "Thịnh", "Toàn", "Trí", "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Vũ", "Hưng",
)
GIVEN_FEMALE = (
    "An", "Anh", "Chi", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hồng",
    "Hương", "Huyền", "Lan", "Liên", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc",
    "Nhung", "Oanh", "Phương", "Quỳnh", "Thảo", "Thủy", "Trang", "Trinh", "Tuyết", "Uyên",
    "Vân", "Vy", "Xuân", "Yến", "Thư", "Nhi", "Hậu",
)

# The 54 groups (Tổng cục Thống kê list), spelled as on civil-status forms.
ETHNIC_GROUPS: tuple[str, ...] = (
    "Kinh", "Tày", "Thái", "Hoa", "Khmer", "Mường", "Nùng", "H'Mông", "Dao", "Gia Rai",
    "Ngái", "Ê Đê", "Ba Na", "Xơ Đăng", "Sán Chay", "Cơ Ho", "Chăm", "Sán Dìu", "Hrê",
    "Mnông", "Ra Glai", "Xtiêng", "Bru Vân Kiều", "Thổ", "Giáy", "Cơ Tu", "Giẻ Triêng", "Mạ",
    "Khơ Mú", "Co", "Tà Ôi", "Chơ Ro", "Kháng", "Xinh Mun", "Hà Nhì", "Chu Ru", "Lào",
    "La Chí", "La Ha", "Phù Lá", "La Hủ", "Lự", "Lô Lô", "Chứt", "Mảng", "Pà Thẻn", "Cơ Lao",
    "Cống", "Bố Y", "Si La", "Pu Péo", "Brâu", "Ơ Đu", "Rơ Măm",
)
assert len(ETHNIC_GROUPS) == 54

# Groups of the Central Highlands whose names use the A / Y (male) and Y / H' (female)
# prefixes rather than a Kinh surname; Ê Đê and Gia Rai add a clan name at the end.
HIGHLAND_PREFIXED = {"Ba Na", "Xơ Đăng", "Giẻ Triêng", "Brâu", "Rơ Măm", "Hrê", "Co"}
HIGHLAND_CLAN = {"Ê Đê": ("Niê", "Êban", "Mlô", "Ktla", "Byă"), "Gia Rai": ("Siu", "Rơ Châm", "Ksor", "Rah Lan")}
