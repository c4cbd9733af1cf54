"""Wording for administrative documents (Nghị định 30/2020/NĐ-CP): issuing agencies,
document types with their abbreviations, subjects and plausible body paragraphs.

Placeholders: {place} (the agency's area, e.g. "tỉnh Kon Tum"), {year}, {month},
{quarter}, {agency} (the agency in sentence case), {short} (its short name).
"""

from __future__ import annotations

# (type line, abbreviation in the number); Công văn prints no type line.
DOC_TYPES = (("QUYẾT ĐỊNH", "QĐ", 0.35), ("THÔNG BÁO", "TB", 0.12), ("KẾ HOẠCH", "KH", 0.1),
             ("BÁO CÁO", "BC", 0.08), ("TỜ TRÌNH", "TTr", 0.05), ("CÔNG VĂN", "", 0.3))

# Sở (province) and Phòng (district) with their abbreviations.
SO = (("SỞ TƯ PHÁP", "STP"), ("SỞ NỘI VỤ", "SNV"), ("SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "STNMT"),
      ("SỞ GIÁO DỤC VÀ ĐÀO TẠO", "SGDĐT"), ("SỞ Y TẾ", "SYT"), ("SỞ TÀI CHÍNH", "STC"),
      ("SỞ XÂY DỰNG", "SXD"), ("SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "STTTT"),
      ("SỞ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN", "SNNPTNT"))
PHONG = (("PHÒNG TƯ PHÁP", "PTP"), ("PHÒNG TÀI NGUYÊN VÀ MÔI TRƯỜNG", "PTNMT"),
         ("PHÒNG NỘI VỤ", "PNV"), ("PHÒNG VĂN HÓA VÀ THÔNG TIN", "PVHTT"))
CV_UNITS = ("VP", "KT", "TH", "NC", "HCTH", "KGVX", "NNTN")

SUBJECTS = {
    "QĐ": (
        ("Về việc ban hành Quy chế số hóa hồ sơ, kết quả giải quyết thủ tục hành chính trên địa bàn {place}",
         "Ban hành kèm theo Quyết định này Quy chế số hóa hồ sơ, kết quả giải quyết thủ tục hành chính trên địa bàn {place}."),
        ("Về việc thành lập Tổ công tác triển khai Đề án 06 trên địa bàn {place}",
         "Thành lập Tổ công tác triển khai Đề án 06 trên địa bàn {place}, gồm các thành viên có tên tại danh sách kèm theo."),
        ("Về việc phê duyệt kế hoạch sử dụng đất năm {year}",
         "Phê duyệt kế hoạch sử dụng đất năm {year} trên địa bàn {place} với các chỉ tiêu tại phụ lục kèm theo."),
        ("Về việc công bố danh mục thủ tục hành chính được chuẩn hóa thuộc thẩm quyền giải quyết của {agency}",
         "Công bố kèm theo Quyết định này danh mục thủ tục hành chính được chuẩn hóa thuộc thẩm quyền giải quyết của {agency}."),
        ("Về việc khen thưởng tập thể, cá nhân có thành tích xuất sắc trong công tác cải cách hành chính năm {year}",
         "Tặng Giấy khen cho các tập thể, cá nhân có thành tích xuất sắc trong công tác cải cách hành chính năm {year}."),
    ),
    "TB": (("Kết luận của lãnh đạo tại cuộc họp giao ban tháng {month} năm {year}",),
           ("Về việc tổ chức tuyển dụng công chức năm {year}",),
           ("Lịch tiếp công dân định kỳ tháng {month} năm {year}",)),
    "KH": (("Triển khai công tác số hóa hồ sơ, kết quả giải quyết thủ tục hành chính năm {year}",),
           ("Tổ chức các hoạt động hưởng ứng Ngày Pháp luật Việt Nam năm {year}",),
           ("Kiểm tra công tác văn thư, lưu trữ năm {year}",)),
    "BC": (("Kết quả thực hiện công tác cải cách hành chính quý {quarter} năm {year}",),
           ("Tình hình triển khai thực hiện Đề án 06 năm {year}",)),
    "TTr": (("Đề nghị phê duyệt dự toán kinh phí số hóa sổ hộ tịch năm {year}",),
            ("Đề nghị bổ sung biên chế công chức năm {year}",)),
    "": (("V/v tăng cường công tác số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",),
         ("V/v đôn đốc triển khai thực hiện Đề án 06",),
         ("V/v rà soát, cập nhật dữ liệu hộ tịch điện tử",),
         ("V/v góp ý dự thảo Quy chế phối hợp trong công tác đăng ký đất đai",)),
}

GROUNDS = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Luật sửa đổi, bổ sung "
    "một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương ngày 22 tháng 11 năm 2019;",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
    "Căn cứ Nghị định số 45/2020/NĐ-CP ngày 08 tháng 4 năm 2020 của Chính phủ về thực hiện thủ tục "
    "hành chính trên môi trường điện tử;",
    "Căn cứ Thông tư số 01/2023/TT-VPCP ngày 05 tháng 4 năm 2023 của Văn phòng Chính phủ quy định "
    "một số nội dung và biện pháp thi hành trong số hóa hồ sơ, kết quả giải quyết thủ tục hành chính;",
)
PROPOSAL = "Theo đề nghị của Chánh Văn phòng tại Tờ trình số {n}/TTr-VP {d}."
ARTICLE_2 = "Điều 2. Quyết định này có hiệu lực thi hành kể từ ngày ký."
ARTICLE_3 = ("Điều 3. Chánh Văn phòng, Thủ trưởng các cơ quan, đơn vị có liên quan và các cá nhân "
             "có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này./.")

INTRO = (
    "Thực hiện Nghị định số 45/2020/NĐ-CP ngày 08 tháng 4 năm 2020 của Chính phủ về thực hiện thủ tục "
    "hành chính trên môi trường điện tử, {short} đề nghị các cơ quan, đơn vị triển khai thực hiện một số nội dung sau:",
    "Thực hiện chỉ đạo của Ủy ban nhân dân {place} về đẩy mạnh chuyển đổi số trong giải quyết thủ tục "
    "hành chính năm {year}, {short} thông báo và đề nghị các cơ quan, đơn vị thực hiện như sau:",
)
ITEMS = (
    "1. Tổ chức quán triệt, triển khai thực hiện nghiêm túc việc số hóa hồ sơ, kết quả giải quyết thủ tục "
    "hành chính theo quy định; bảo đảm 100% kết quả giải quyết được số hóa và lưu trữ điện tử.",
    "2. Rà soát, cập nhật đầy đủ, chính xác dữ liệu hộ tịch, đất đai vào hệ thống; kịp thời phản ánh khó khăn, "
    "vướng mắc trong quá trình thực hiện về {short} để được hướng dẫn.",
    "3. Bố trí công chức có đủ năng lực, trình độ thực hiện việc tiếp nhận, số hóa hồ sơ; bảo đảm trang thiết bị "
    "máy quét, chữ ký số chuyên dùng phục vụ công tác số hóa.",
    "4. Định kỳ trước ngày 20 hằng tháng, báo cáo kết quả thực hiện để tổng hợp, báo cáo cấp có thẩm quyền.",
)
CLOSING = (
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, đề nghị các cơ quan, đơn vị phản ánh kịp thời "
    "về {short} để tổng hợp, xem xét, giải quyết theo quy định./.",
    "{short} đề nghị các cơ quan, đơn vị quan tâm, phối hợp thực hiện./.",
)
REPORT = (
    "Năm {year}, công tác cải cách hành chính trên địa bàn {place} tiếp tục được quan tâm chỉ đạo; tỷ lệ hồ sơ "
    "giải quyết đúng hạn đạt trên 98%, tỷ lệ hồ sơ trực tuyến toàn trình tăng so với cùng kỳ.",
    "Việc số hóa hồ sơ, kết quả giải quyết thủ tục hành chính được triển khai đồng bộ tại Bộ phận Một cửa các "
    "cấp; kết quả số hóa được lưu trữ, ký số và chia sẻ trên Hệ thống thông tin giải quyết thủ tục hành chính.",
    "Tuy nhiên, việc khai thác, sử dụng lại dữ liệu đã được số hóa còn hạn chế; một số đơn vị chưa bố trí "
    "đủ nhân lực, trang thiết bị cho công tác số hóa.",
)
REPORT_END = "Trên đây là báo cáo của {short}, kính gửi cấp có thẩm quyền xem xét, chỉ đạo./."
PLAN = (
    "I. MỤC ĐÍCH, YÊU CẦU",
    "1. Nâng cao chất lượng, hiệu quả công tác số hóa hồ sơ, kết quả giải quyết thủ tục hành chính; "
    "bảo đảm dữ liệu được khai thác, sử dụng lại, giảm giấy tờ công dân phải nộp.",
    "2. Việc triển khai phải đúng quy định, có trọng tâm, trọng điểm; phân công rõ trách nhiệm của từng "
    "cơ quan, đơn vị.",
    "II. NỘI DUNG THỰC HIỆN",
)
SUBMISSION = (
    "Căn cứ nhiệm vụ được giao năm {year}, {short} đã rà soát khối lượng hồ sơ, sổ sách cần số hóa; "
    "tổng số trang tài liệu dự kiến khoảng {pages} trang.",
    "Để bảo đảm tiến độ, chất lượng công việc, {short} kính đề nghị cấp có thẩm quyền xem xét, phê duyệt./.",
)
RECIPIENTS = ("- Như trên;", "- Như Điều 3;", "- Thường trực Tỉnh ủy (b/c);", "- Chủ tịch, các PCT UBND;",
              "- Các sở, ban, ngành;", "- UBND các huyện, thành phố;", "- Cổng thông tin điện tử;")
