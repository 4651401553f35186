"""Uploaded PDFs (briefing attachments, training materials): checked for size while they
stream in, and stored so that a file never outlives, nor is lost before, its row."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.db.models.fields.files import FieldFile


class SizeLimitHandler(FileUploadHandler):
    """Stop reading a file once it passes the attachment limit.

    Django streams large uploads to a temporary file without limit (DATA_UPLOAD_MAX_MEMORY_SIZE
    counts form fields only, not files), so a 50 MB upload would be written to disk in full
    before the form could refuse it. This handler sees each chunk first and skips the rest of
    the file; the form then says it was too large.
    """

    def __init__(self, request, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.too_large = False

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


@contextmanager
def stored_with_row(field: FieldFile, name: str, upload) -> Iterator[None]:
    """Write `upload` through `field` (its random stored name), then run the block that saves
    the row; if the block fails, the written file is removed again, leaving no orphan."""
    upload.seek(0)
    field.save(name, upload, save=False)
    stored = field.name
    try:
        yield
    except Exception:
        field.storage.delete(stored)
        raise


def delete_after_commit(field: FieldFile) -> None:
    """Remove a row's stored file once the transaction deleting the row commits (a rolled-back
    delete keeps the file its row still names)."""
    storage, stored = field.storage, field.name
    if stored:
        transaction.on_commit(lambda: storage.delete(stored))
