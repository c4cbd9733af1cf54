"""Errors a document can fail with. Messages are one Vietnamese sentence a clerk understands
(they go into result.json and the batch report); the English `code` is for logs and the API."""


class DocumentError(Exception):
    """The document cannot be processed; the batch goes on."""

    code = "document_error"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        if code:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0])


class InputError(DocumentError):
    """The input file is unreadable, hostile or not a scan."""

    code = "bad_input"
