"""Vietnamese place data for realistic addresses.

The 63 pre-2025 provinces with the official 3-digit codes used in personal IDs
(Thông tư 59/2021/TT-BCA, the same list the spec cites), each with a few of its real
districts. Communes, villages and streets come from pools of names that are common all
over the country: plausible, not a gazetteer.
"""

from __future__ import annotations

# code, name, kind ("tỉnh" or "thành phố" for centrally-run cities), districts.
# District prefixes: t = thành phố, x = thị xã, h = huyện, q = quận.
PROVINCES: tuple[tuple[str, str, str, str], ...] = (
    ("001", "Hà Nội", "thành phố", "q:Ba Đình;q:Cầu Giấy;q:Hoàng Mai;h:Gia Lâm;h:Đông Anh"),
    ("002", "Hà Giang", "tỉnh", "t:Hà Giang;h:Đồng Văn;h:Bắc Quang"),
    ("004", "Cao Bằng", "tỉnh", "t:Cao Bằng;h:Trùng Khánh;h:Bảo Lạc"),
    ("006", "Bắc Kạn", "tỉnh", "t:Bắc Kạn;h:Ba Bể;h:Chợ Đồn"),
    ("008", "Tuyên Quang", "tỉnh", "t:Tuyên Quang;h:Sơn Dương;h:Hàm Yên"),
    ("010", "Lào Cai", "tỉnh", "t:Lào Cai;x:Sa Pa;h:Bảo Thắng"),
    ("011", "Điện Biên", "tỉnh", "t:Điện Biên Phủ;h:Mường Chà;h:Tuần Giáo"),
    ("012", "Lai Châu", "tỉnh", "t:Lai Châu;h:Tam Đường;h:Phong Thổ"),
    ("014", "Sơn La", "tỉnh", "t:Sơn La;h:Mộc Châu;h:Mai Sơn"),
    ("015", "Yên Bái", "tỉnh", "t:Yên Bái;x:Nghĩa Lộ;h:Văn Chấn"),
    ("017", "Hòa Bình", "tỉnh", "t:Hòa Bình;h:Mai Châu;h:Lương Sơn"),
    ("019", "Thái Nguyên", "tỉnh", "t:Thái Nguyên;t:Sông Công;h:Đại Từ"),
    ("020", "Lạng Sơn", "tỉnh", "t:Lạng Sơn;h:Cao Lộc;h:Hữu Lũng"),
    ("022", "Quảng Ninh", "tỉnh", "t:Hạ Long;t:Cẩm Phả;t:Móng Cái"),
    ("024", "Bắc Giang", "tỉnh", "t:Bắc Giang;h:Lục Ngạn;h:Yên Thế"),
    ("025", "Phú Thọ", "tỉnh", "t:Việt Trì;x:Phú Thọ;h:Thanh Sơn"),
    ("026", "Vĩnh Phúc", "tỉnh", "t:Vĩnh Yên;t:Phúc Yên;h:Tam Đảo"),
    ("027", "Bắc Ninh", "tỉnh", "t:Bắc Ninh;t:Từ Sơn;h:Gia Bình"),
    ("030", "Hải Dương", "tỉnh", "t:Hải Dương;t:Chí Linh;h:Gia Lộc"),
    ("031", "Hải Phòng", "thành phố", "q:Hồng Bàng;q:Lê Chân;h:Thủy Nguyên;h:An Dương"),
    ("033", "Hưng Yên", "tỉnh", "t:Hưng Yên;h:Văn Lâm;h:Khoái Châu"),
    ("034", "Thái Bình", "tỉnh", "t:Thái Bình;h:Đông Hưng;h:Tiền Hải"),
    ("035", "Hà Nam", "tỉnh", "t:Phủ Lý;x:Duy Tiên;h:Thanh Liêm"),
    ("036", "Nam Định", "tỉnh", "t:Nam Định;h:Hải Hậu;h:Giao Thủy"),
    ("037", "Ninh Bình", "tỉnh", "t:Ninh Bình;t:Tam Điệp;h:Gia Viễn"),
    ("038", "Thanh Hóa", "tỉnh", "t:Thanh Hóa;t:Sầm Sơn;h:Thọ Xuân"),
    ("040", "Nghệ An", "tỉnh", "t:Vinh;x:Cửa Lò;h:Diễn Châu"),
    ("042", "Hà Tĩnh", "tỉnh", "t:Hà Tĩnh;x:Hồng Lĩnh;h:Kỳ Anh"),
    ("044", "Quảng Bình", "tỉnh", "t:Đồng Hới;h:Bố Trạch;h:Lệ Thủy"),
    ("045", "Quảng Trị", "tỉnh", "t:Đông Hà;h:Gio Linh;h:Hải Lăng"),
    ("046", "Thừa Thiên Huế", "tỉnh", "t:Huế;x:Hương Thủy;h:Phú Vang"),
    ("048", "Đà Nẵng", "thành phố", "q:Hải Châu;q:Thanh Khê;q:Sơn Trà;h:Hòa Vang"),
    ("049", "Quảng Nam", "tỉnh", "t:Tam Kỳ;t:Hội An;x:Điện Bàn"),
    ("051", "Quảng Ngãi", "tỉnh", "t:Quảng Ngãi;h:Bình Sơn;h:Sơn Tịnh"),
    ("052", "Bình Định", "tỉnh", "t:Quy Nhơn;x:An Nhơn;h:Phù Cát"),
    ("054", "Phú Yên", "tỉnh", "t:Tuy Hòa;x:Sông Cầu;h:Tuy An"),
    ("056", "Khánh Hòa", "tỉnh", "t:Nha Trang;t:Cam Ranh;h:Diên Khánh"),
    ("058", "Ninh Thuận", "tỉnh", "t:Phan Rang - Tháp Chàm;h:Ninh Hải;h:Ninh Phước"),
    ("060", "Bình Thuận", "tỉnh", "t:Phan Thiết;x:La Gi;h:Hàm Thuận Bắc"),
    ("062", "Kon Tum", "tỉnh", "t:Kon Tum;h:Đắk Hà;h:Đắk Tô;h:Ngọc Hồi;h:Sa Thầy;h:Kon Rẫy"),
    ("064", "Gia Lai", "tỉnh", "t:Pleiku;x:An Khê;h:Chư Păh"),
    ("066", "Đắk Lắk", "tỉnh", "t:Buôn Ma Thuột;x:Buôn Hồ;h:Krông Pắc"),
    ("067", "Đắk Nông", "tỉnh", "t:Gia Nghĩa;h:Đắk Mil;h:Cư Jút"),
    ("068", "Lâm Đồng", "tỉnh", "t:Đà Lạt;t:Bảo Lộc;h:Đức Trọng"),
    ("070", "Bình Phước", "tỉnh", "t:Đồng Xoài;x:Bình Long;h:Bù Đăng"),
    ("072", "Tây Ninh", "tỉnh", "t:Tây Ninh;x:Hòa Thành;h:Tân Châu"),
    ("074", "Bình Dương", "tỉnh", "t:Thủ Dầu Một;t:Dĩ An;t:Thuận An"),
    ("075", "Đồng Nai", "tỉnh", "t:Biên Hòa;t:Long Khánh;h:Trảng Bom"),
    ("077", "Bà Rịa - Vũng Tàu", "tỉnh", "t:Vũng Tàu;t:Bà Rịa;h:Long Điền"),
    ("079", "Hồ Chí Minh", "thành phố", "q:Gò Vấp;q:Bình Thạnh;t:Thủ Đức;h:Củ Chi"),
    ("080", "Long An", "tỉnh", "t:Tân An;h:Đức Hòa;h:Bến Lức"),
    ("082", "Tiền Giang", "tỉnh", "t:Mỹ Tho;x:Gò Công;h:Cái Bè"),
    ("083", "Bến Tre", "tỉnh", "t:Bến Tre;h:Mỏ Cày Nam;h:Ba Tri"),
    ("084", "Trà Vinh", "tỉnh", "t:Trà Vinh;h:Cầu Kè;h:Tiểu Cần"),
    ("086", "Vĩnh Long", "tỉnh", "t:Vĩnh Long;h:Long Hồ;h:Trà Ôn"),
    ("087", "Đồng Tháp", "tỉnh", "t:Cao Lãnh;t:Sa Đéc;h:Lấp Vò"),
    ("089", "An Giang", "tỉnh", "t:Long Xuyên;t:Châu Đốc;h:Chợ Mới"),
    ("091", "Kiên Giang", "tỉnh", "t:Rạch Giá;t:Phú Quốc;h:Kiên Lương"),
    ("092", "Cần Thơ", "thành phố", "q:Ninh Kiều;q:Cái Răng;h:Phong Điền"),
    ("093", "Hậu Giang", "tỉnh", "t:Vị Thanh;t:Ngã Bảy;h:Châu Thành A"),
    ("094", "Sóc Trăng", "tỉnh", "t:Sóc Trăng;x:Vĩnh Châu;h:Mỹ Xuyên"),
    ("095", "Bạc Liêu", "tỉnh", "t:Bạc Liêu;x:Giá Rai;h:Hồng Dân"),
    ("096", "Cà Mau", "tỉnh", "t:Cà Mau;h:Năm Căn;h:U Minh"),
)

DISTRICT_KINDS = {"t": "thành phố", "x": "thị xã", "h": "huyện", "q": "quận"}

# Communes under a huyện are "xã" (sometimes "thị trấn"); under the others "phường".
XA_NAMES = (
    "Tân Lập", "Hòa Bình", "Thống Nhất", "Quyết Thắng", "Đoàn Kết", "Tân Tiến", "Phú Thịnh",
    "An Hòa", "Hòa Phú", "Bình Minh", "Quang Minh", "Nghĩa Hưng", "Đông Phong", "Tân Thành",
    "Yên Lạc", "Hợp Tiến", "Ngọc Lâm", "Xuân Phú", "Trung Hòa", "Thanh Bình", "Vinh Quang",
    "Hà Mòn", "Đắk Mar", "Tân Phú", "Phước Hưng", "Long Hòa", "Mỹ Thạnh", "Hiệp Hòa",
)
PHUONG_NAMES = (
    "Quang Trung", "Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Thắng Lợi", "Thống Nhất",
    "Tân Định", "Phú Hòa", "Hòa Cường", "An Lạc", "Duy Tân", "Trường Chinh", "Ngô Mây",
    "Quyết Thắng", "Phước Long", "Tân An", "Hiệp Phú", "Bình An", "Đông Hải", "Vĩnh Trung",
)
STREETS = (
    "Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Phan Đình Phùng", "Quang Trung",
    "Hùng Vương", "Lý Thường Kiệt", "Nguyễn Văn Cừ", "Bà Triệu", "Trần Phú", "Ngô Quyền",
    "Phan Chu Trinh", "Lê Hồng Phong", "Nguyễn Thị Minh Khai", "Võ Thị Sáu",
)
VILLAGE_WORDS = ("Thôn", "Tổ dân phố", "Ấp", "Xóm", "Bản", "Làng")
