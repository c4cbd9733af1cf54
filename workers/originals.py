"""A batch's originals going into the object store while its pages are already being read.

Planning checks and hashes every file; storing them is what takes long on S3 (each
original goes over the network, about 3 MB a page), and a batch of thousands would keep
every worker idle until the last upload. So the uploads run here, a few at a time and in
the batch's order, and an executor sends a document's pages as soon as its own original is
stored (`ready`, `wait`): the store's copy is what the pages read.
"""
from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from pipeline.core.errors import ConfigurationError, InputError, StorageError
from pipeline.core.result import DocumentSummary
from pipeline.scan.load import unreadable
from workers import graph
from workers.graph import INTERNAL_ERROR, Context, DocumentJob
from workers.progress import BatchProgress

log = logging.getLogger("sohoa.originals")

UPLOADS = 4  # at once: each waits on the network far more than on this machine


class Originals:
    """Originals being stored, by job index. A job with none registered is ready."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self._pool = ThreadPoolExecutor(UPLOADS, thread_name_prefix="sohoa-store")
        self._futures: dict[int, Future] = {}

    def store(self, index: int, path: Path, sha: str) -> None:
        self._futures[index] = self._pool.submit(self._put, path, sha)

    def ready(self, index: int) -> bool:
        future = self._futures.get(index)
        return future is None or future.done()

    def wait(self, index: int) -> str | None:
        """Block until the job's original is stored: None, or the sentence its document
        fails with. A store that cannot be reached stops the batch (StorageError)."""
        future = self._futures.get(index)
        if future is None:
            return None
        try:
            future.result()
        except (ConfigurationError, StorageError):
            raise  # the object store, not this file: stop loudly, as planning does
        except InputError as exc:
            return exc.message
        except OSError as exc:  # the file went away since it was hashed
            return unreadable(exc).message
        except Exception:
            log.exception("storing the original of job %d failed", index)
            return INTERNAL_ERROR
        return None

    def close(self) -> None:
        """Uploads not started are dropped (a re-run stores them); running ones finish."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _put(self, path: Path, sha: str) -> None:
        # The same scan twice in a batch is stored once: the store writes one key at a time.
        if not self.ctx.store.exists(sha):
            stored = self.ctx.store.put_file(path)
            if stored != sha:  # changed since it was hashed: its pages would not find it
                raise InputError("Tệp đã thay đổi trong lúc đang số hóa; chạy lại lệnh "
                                 "này để số hóa bản mới.", "changed_while_read")


def refused(jobs: list[DocumentJob], index: int, refusal: str, waiting: list,
            outcomes: dict, progress: BatchProgress) -> tuple[list, DocumentSummary]:
    """An executor's waiting pages without job `index`, whose original could not be stored,
    and the job's failed result; its outcomes go, its pages count as done."""
    summary = graph.record_failure(jobs[index], refusal)
    outcomes.pop(index, None)
    progress.pages_done(sum(t.job == index for t in waiting))
    progress.document_done(summary)
    return [t for t in waiting if t.job != index], summary
