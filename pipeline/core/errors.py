"""The one error tree of sohoa.

Every error a person may see is a :class:`SohoaError` carrying three things, kept the same
way everywhere:

- ``message``: one Vietnamese sentence a clerk understands (result.json, the batch
  report, the API's ``detail``);
- ``code``: a stable English identifier (logs, metrics, the API's ``code``);
- ``detail``: the technical English detail for logs (``str(e)``); never shown to citizens.

Below it, by who has to act: the document or its input (the batch goes on), signing and
identities, certification, storage, and configuration (the operator's mistake: the CLI
exits 2). Entry points map the tree to exit codes in one place (``cli/errors.py``).
"""
from __future__ import annotations

from typing import Any, ClassVar


class SohoaError(Exception):
    """Base of every error sohoa raises on purpose."""

    default_message: ClassVar[str] = "Lỗi hệ thống; lỗi đã được ghi lại để kỹ thuật viên kiểm tra."
    default_code: ClassVar[str] = "error"

    def __init__(self, message: str | None = None, code: str | None = None, *,
                 detail: str | None = None) -> None:
        self.message: str = message or self.default_message
        self.code: str = code or self.default_code
        self.detail: str = detail or self.message
        super().__init__(self.detail)

    def __reduce__(self) -> tuple[Any, ...]:
        # Celery and process pools pickle errors: keep message, code and detail across.
        return _rebuild, (type(self), self.message, self.code, self.detail)


def _rebuild(cls: type[SohoaError], message: str, code: str, detail: str) -> SohoaError:
    return cls(message, code, detail=detail)


class InternalError(SohoaError):
    """A bug, never the user's fault (e.g. a PDF/A we wrote fails validation)."""

    default_code = "internal"


class ConfigurationError(SohoaError):
    """The installation or the settings are wrong: a missing program or language model, a
    bad setting, an unreadable key file. Nothing to retry; the operator must act."""

    default_message = "Cấu hình hệ thống chưa đúng; cần kỹ thuật viên kiểm tra."
    default_code = "configuration"


class ToolMissing(ConfigurationError):
    """An external program (Tesseract, pdftoppm) or its language model is not installed."""

    default_message = "Thiếu phần mềm cần thiết trên máy chủ; cần kỹ thuật viên cài đặt."
    default_code = "tool_missing"


class FontError(ConfigurationError):
    """The text font is missing, or lacks a glyph the text needs."""

    default_message = ("Thiếu phông chữ tiếng Việt Liberation Serif 2 (gói fonts-liberation2); "
                       "cần kỹ thuật viên cài đặt.")
    default_code = "font_missing"


class DocumentError(SohoaError):
    """This document cannot be processed; the batch goes on."""

    default_message = "Không xử lý được tài liệu này."
    default_code = "document_error"


class InputError(DocumentError):
    """The input file is unreadable, hostile or not a scan."""

    default_message = "Tệp đầu vào không đọc được."
    default_code = "bad_input"


class OcrError(DocumentError):
    """The OCR engine failed or timed out on a page."""

    default_message = "Phần mềm nhận dạng chữ (OCR) gặp lỗi với trang này."
    default_code = "ocr_failed"


class SigningError(SohoaError):
    """A PDF cannot be signed, or signing is refused."""

    default_message = "Không ký số được tài liệu này."
    default_code = "signing_failed"


class IdentityError(SigningError):
    """A signing identity cannot be loaded or created (wrong passphrase or PIN, ...)."""

    default_message = "Không mở được khóa ký số."
    default_code = "identity_error"


class CertificationError(SohoaError):
    """A certified copy cannot be made or handed out."""

    default_message = "Không cấp được bản sao chứng thực."
    default_code = "certification_failed"


class RegisterError(CertificationError):
    """A request to the certification register is invalid."""

    default_code = "register_refused"


class StorageError(SohoaError):
    """The object store or the database refused or damaged something."""

    default_message = "Kho lưu trữ gặp lỗi."
    default_code = "storage_error"


class CorruptObject(StorageError):
    """Stored bytes do not match their SHA-256: never hand them out."""

    default_message = "Dữ liệu lưu trữ bị hỏng (sai mã băm SHA-256)."
    default_code = "corrupt_object"
