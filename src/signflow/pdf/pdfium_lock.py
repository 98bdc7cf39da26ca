"""PDFium is not thread-safe (pypdfium2 says so: one thread at a time per process). Every
in-process use of it, which runs in worker threads, holds this lock."""

from __future__ import annotations

import threading

PDFIUM = threading.Lock()
