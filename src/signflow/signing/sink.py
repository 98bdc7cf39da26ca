# mypy: disable-error-code="no-untyped-call"
# (pyHanko's writer carries no annotations.)
"""Where the objects of an incremental update go, for code shared by both signing paths.

The lean path (`lean.py`) and pyHanko's writer both read objects of the document,
change some in place and add new ones; form filling and appearances talk to
either through these protocols.
"""

from __future__ import annotations

from typing import Protocol

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

Ref = generic.IndirectObject | generic.Reference
"""An indirect object's reference, as pyHanko hands either kind out."""


class ObjectSink(Protocol):
    """Where new indirect objects go: pyHanko's writer, or the lean update's object list."""

    def add_object(self, obj: generic.PdfObject) -> generic.IndirectObject: ...


class UpdateAccess(ObjectSink, Protocol):
    """Read objects of the document and write new versions of the ones changed in place."""

    def resolve(self, obj: generic.PdfObject) -> generic.PdfObject:
        """The object itself, following one level of indirection."""
        ...

    def mark(self, ref: Ref) -> None:
        """Write a new version of the object `ref` (changed in place) in this update."""
        ...


class WriterAccess:
    """`UpdateAccess` over pyHanko's incremental writer."""

    def __init__(self, writer: IncrementalPdfFileWriter) -> None:
        self.writer = writer

    def add_object(self, obj: generic.PdfObject) -> generic.IndirectObject:
        ref: generic.IndirectObject = self.writer.add_object(obj)
        return ref

    def resolve(self, obj: generic.PdfObject) -> generic.PdfObject:
        if isinstance(obj, generic.IndirectObject):
            resolved: generic.PdfObject = obj.get_object()
            return resolved
        return obj

    def mark(self, ref: Ref) -> None:
        self.writer.mark_update(ref)
