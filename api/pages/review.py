"""The clerk's review screen: the queue of documents that need review, claiming one (a
second clerk is told who holds it), the page images beside the field form, and the
actions "Lưu & tiếp", "Duyệt" (every field confirmed: validated again, signed again, done
when nothing is left to check) and "Yêu cầu quét lại". Every change keeps its reason and
goes through workers.corrections, as PATCH /api/v1/documents/{id}/fields does; saving over
someone else's newer version is refused and names them. The OCR text layer is never
edited: clerks correct fields."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from api.pages import review_data as data
from api.pages.session import Staff, needs
from api.pages.web import PageError, csrf_form, render, vn_time
from api.service import Service, request_id, service
from pipeline.core.errors import SohoaError
from storage.archive import owned_by
from storage.versions import VersionConflict
from workers.archive_record import current_version
from workers.corrections import correct

router = APIRouter(include_in_schema=False)
clerk = needs("dossiers:write", "documents:read")
NOTICES = {"da-luu": "Đã lưu thay đổi.", "da-duyet": "Đã duyệt tài liệu; bản ký số mới đã được tạo.",
           "quet-lai": "Đã ghi yêu cầu quét lại; tài liệu rời hàng chờ cho tới khi "
                           "bản quét mới được xử lý xong.", "het": "Không còn tài liệu nào chờ kiểm tra.",
           "da-tra": "Đã trả tài liệu về hàng chờ.", "khong-doi": "Không có thay đổi nào để lưu."}


def _audit(request: Request, svc: Service, staff: Staff, action: str, document_id: str,
           changes: dict | None = None) -> None:
    svc.db.audit.append(actor=staff.actor, action=action, object_type="document",
                        object_id=document_id, agency_code=staff.agency_code, changes=changes,
                        request_id=request_id(request))


def _held(svc: Service, staff: Staff, document_id: str):
    hit = svc.db.index.get(document_id)
    if hit is None or not owned_by(staff.agency_code, hit.dossier_id):
        raise PageError(404, "Không tìm thấy tài liệu.")
    return hit, current_version(svc.archive, hit)


@router.get("/xu-ly")
def review_queue(request: Request, thong_bao: str | None = None, staff: Staff = Depends(clerk),
                 svc: Service = Depends(service)):
    rows = data.queue(svc, staff)
    return render(request, "review_queue.html", {"rows": rows, "rescans": data.rescans(svc, staff),
                                                 "notice": NOTICES.get(thong_bao or "")})


@router.post("/xu-ly/{document_id}/nhan")
def claim(document_id: str, request: Request, _form=Depends(csrf_form),
          staff: Staff = Depends(clerk), svc: Service = Depends(service)):
    _held(svc, staff, document_id)
    standing = data.claims(svc).claim(document_id, staff.agency_code, staff.actor, staff.name)
    if standing.state == "rescan":
        raise PageError(409, f"Tài liệu {document_id} đang chờ quét lại (yêu cầu của "
                        f"{standing.actor_name} lúc {vn_time(standing.since)}: {standing.reason})."
                        " Tài liệu sẽ trở lại hàng chờ khi bản quét mới được xử lý xong.")
    if standing.actor != staff.actor:
        raise PageError(409, f"Tài liệu {document_id} đang được xử lý bởi {standing.actor_name} "
                        f"(từ {vn_time(standing.since)}). Xin chọn tài liệu khác.")
    _audit(request, svc, staff, "review.claimed", document_id)
    return RedirectResponse(f"/xu-ly/{quote(document_id)}", status_code=303)


@router.get("/xu-ly/{document_id}/trang/{index}.jpg")
def page_image(document_id: str, index: int, staff: Staff = Depends(clerk),
               svc: Service = Depends(service)):
    hit, version = _held(svc, staff, document_id)
    pages = data.page_images(svc, hit, version)
    if not 0 <= index < len(pages) or not pages[index].jpeg:
        raise PageError(404, "Không có ảnh trang này.")
    body = svc.archive.store.get(pages[index].jpeg)
    return Response(body, media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=3600",
                             "X-Content-Type-Options": "nosniff"})


@router.get("/xu-ly/{document_id}")
def review_document(document_id: str, request: Request, tab: str = "truong",
                    trang: int | None = None,
                    truong: str | None = None, thong_bao: str | None = None,
                    staff: Staff = Depends(clerk), svc: Service = Depends(service)):
    hit, version = _held(svc, staff, document_id)
    _audit(request, svc, staff, "document.fields_viewed", document_id,
           {"version": version.version, "page": "review"})
    return _screen(request, svc, staff, hit, version, tab=tab, page=trang, selected=truong,
                   notice=NOTICES.get(thong_bao or ""))


def _screen(request, svc, staff, hit, version, *, tab="truong", page=None, selected=None,
            notice=None, error=None, values=None, reason="", status=200):
    pages = data.page_images(svc, hit, version)
    fields = data.fields_of(svc, version)
    doc_type = svc.archive.types.get(version.document_type or "")
    rows = data.field_rows(fields, pages, doc_type)
    for row in rows:
        if values and row["key"] in values:
            row["value"] = values[row["key"]]
        if row["key"] == selected and row["page"] is not None and page is None:
            page = row["page"]  # the selected field's page, unless a page was asked for
    claim = data.claims(svc).get(hit.document_id)
    holder = data.claims(svc).live_holder(claim)
    context = {
        "hit": hit, "version": version, "type_name": data.type_name(svc, version.document_type),
        "fields": rows, "document_messages": fields.messages, "pages": pages,
        "page": min(max(page or 0, 0), max(len(pages) - 1, 0)), "selected": selected,
        "tab": tab, "notice": notice, "error": error, "reason": reason,
        "mine": holder is not None and holder.actor == staff.actor,
        "holder": holder if holder and holder.actor != staff.actor else None,
        "rescan": claim if claim and claim.state == "rescan" else None,
        "history": data.history(svc, staff, hit.document_id) if tab == "lich-su" else [],
        "boxes_known": any(r["box"] for r in rows),
        "last_by": data.actor_name(svc, staff, version.actor),
    }
    return render(request, "review_doc.html", context, status=status)


def _typed(old, new: str):
    """The submitted text as the kind of value the field held (numbers stay numbers)."""
    if isinstance(old, bool) or not isinstance(old, int | float) or not new.strip():
        return new
    try:
        return type(old)(new.strip())
    except ValueError:
        return new


@router.post("/xu-ly/{document_id}")
def act(document_id: str, request: Request, form=Depends(csrf_form),
        staff: Staff = Depends(clerk), svc: Service = Depends(service)):
    hit, version = _held(svc, staff, document_id)
    action = str(form.get("hanh_dong") or "")
    reason = " ".join(str(form.get("ly_do") or "").split())
    values = {k[2:]: str(v) for k, v in form.items() if k.startswith("f_")}
    store = data.claims(svc)
    holder = store.live_holder(store.get(document_id))
    if holder is None or holder.actor != staff.actor:
        who = f"đang được xử lý bởi {holder.actor_name}" if holder else "chưa được quý vị nhận"
        raise PageError(409, f"Tài liệu {document_id} {who}; quý vị chưa thể lưu thay đổi.")

    def again(error: str, status: int = 422):
        return _screen(request, svc, staff, hit, version, error=error, values=values,
                       reason=reason, status=status)

    if action == "tra-lai":
        store.release(document_id, staff.actor)
        _audit(request, svc, staff, "review.released", document_id)
        return RedirectResponse("/xu-ly?thong_bao=da-tra", status_code=303)
    if action in ("luu-tiep", "duyet", "quet-lai") and str(form.get("phien_ban")) != str(version.version):
        by = data.actor_name(svc, staff, version.actor)
        values.clear()  # show the newer values, not the stale form
        return again(f"Không lưu được: {by} đã sửa tài liệu này lúc {vn_time(version.created_at)} "
                     f"(phiên bản {version.version}) sau khi quý vị mở nó. Các giá trị mới nhất "
                     "đã được tải lại bên dưới; xin xem lại rồi lưu lần nữa.", 409)
    changes = {k: _typed(version.fields.get(k), v) for k, v in values.items()
               if v.strip() != data.text_of(version.fields.get(k)).strip()}
    if action == "quet-lai":
        if len(reason) < 3:
            return again("Xin ghi lý do yêu cầu quét lại.")
        store.ask_rescan(document_id, staff.agency_code, staff.actor, staff.name, reason)
        _audit(request, svc, staff, "review.rescan_requested", document_id, {"reason": reason})
        return RedirectResponse("/xu-ly?thong_bao=quet-lai", status_code=303)
    if action == "duyet":  # every field as the clerk confirms it: rules checked afresh
        changes = {**{k: v for k, v in version.fields.items()}, **changes}
    elif action != "luu-tiep":
        return again("Thao tác không hợp lệ.", 400)
    if not changes and action == "luu-tiep":
        return _next(request, svc, staff, document_id, "khong-doi")
    if len(reason) < 3:
        return again("Xin ghi lý do của thay đổi (ít nhất 3 ký tự); lý do được lưu cùng phiên bản mới.")
    try:
        new = correct(svc.archive, hit, version, changes, reason, staff.actor)
    except VersionConflict:
        newer = svc.db.versions.current(document_id) or version
        by = data.actor_name(svc, staff, newer.actor)
        values.clear()
        return _screen(request, svc, staff, hit, newer, values=None, reason=reason, status=409,
                       error=f"Không lưu được: {by} vừa lưu phiên bản {newer.version} trước "
                             "quý vị. Xin xem lại các giá trị mới rồi lưu lần nữa.")
    except SohoaError as exc:
        return again(exc.message)
    _audit(request, svc, staff, "document.corrected", document_id, {
        "version": new.version, "reason": reason, "page": "review",
        "fields": {k: {"from": version.fields.get(k), "to": new.fields.get(k)}
                   for k in changes if version.fields.get(k) != new.fields.get(k)}})
    if action == "duyet":
        if new.status != "done":
            hit2, _ = _held(svc, staff, document_id)
            return _screen(request, svc, staff, hit2, new, status=422, error=(
                "Đã lưu phiên bản mới nhưng chưa duyệt được: tài liệu vẫn còn điểm cần sửa "
                "(xem thông báo ở từng trường)."))
        store.release(document_id, staff.actor)
        _audit(request, svc, staff, "review.approved", document_id, {"version": new.version})
        return RedirectResponse(f"/xu-ly?thong_bao=da-duyet&tai_lieu={quote(document_id)}",
                                status_code=303)
    return _next(request, svc, staff, document_id, "da-luu")


def _next(request: Request, svc: Service, staff: Staff, document_id: str, notice: str):
    """"Lưu & tiếp": hand this one back and take the next free document of the queue."""
    store = data.claims(svc)
    store.release(document_id, staff.actor)
    following = data.next_free(svc, staff, after=document_id)
    if following is not None:
        standing = store.claim(following, staff.agency_code, staff.actor, staff.name)
        if standing.actor == staff.actor:
            _audit(request, svc, staff, "review.claimed", following)
            return RedirectResponse(f"/xu-ly/{quote(following)}?thong_bao={notice}",
                                    status_code=303)
    return RedirectResponse(f"/xu-ly?thong_bao={notice if following else 'het'}",
                            status_code=303)
