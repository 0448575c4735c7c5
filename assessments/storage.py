"""Where uploaded evidence is written on a server's own disk (settings.STORAGES["default"])."""

import contextlib
import os
import tempfile

from django.core.files import File
from django.core.files.storage import FileSystemStorage


class _Written(File):
    """A complete copy on disk, which Django's storage moves into place instead of copying."""

    def __init__(self, path):
        super().__init__(None, name=path)
        self.path = path

    def temporary_file_path(self):
        return self.path


class AtomicFileSystemStorage(FileSystemStorage):
    """Django's file storage, except that a file appears under its name only once it is wholly
    written. The bytes go first to a hidden temporary file in the same folder, renamed into place
    when complete; a write that fails part-way (a full disk, a file-size limit) removes it, so no
    truncated document is ever left under a name a record could point to."""

    def _save(self, name, content):
        directory = os.path.dirname(self.path(name))
        os.makedirs(directory, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=directory, prefix=".partial-")
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk if isinstance(chunk, bytes) else chunk.encode())
                out.flush()
                os.fsync(out.fileno())
            return super()._save(name, _Written(partial))
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)
