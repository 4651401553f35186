"""Uploads checked for size while they stream in (briefing attachments, training materials)."""

from django.core.files.uploadhandler import FileUploadHandler, SkipFile


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
