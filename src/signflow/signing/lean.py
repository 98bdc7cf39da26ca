# mypy: disable-error-code="no-untyped-call"
# (pyHanko's PDF object constructors carry no annotations.)
"""The objects of a signature's incremental update, for a new field, without pyHanko's writer.

For a new signature field this is what pyHanko's `IncrementalPdfFileWriter` and its
field helpers change, in the same order and with the same object numbers: the
catalog's /Version (raised to 1.7) and /AcroForm, the form's /Fields and /SigFlags,
the page's /Annots, the merged field and widget, its appearance, the signature
dictionary and the /Info dictionary's /ModDate and /Producer. Documents where
pyHanko would do more (certification or other /Perms, XMP metadata, PDF 2.0, an
existing field of that name, hierarchical names) raise `NotLean`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.metadata.info import update_info_dict
from pyhanko.pdf_utils.metadata.model import DocumentMetadata
from pyhanko.pdf_utils.misc import get_and_apply
from pyhanko.pdf_utils.reader import parse_catalog_version
from pyhanko.sign.fields import SignatureFormField
from pyhanko.sign.signers.pdf_byterange import SignatureObject

from signflow.signing.pdfread import LeanReader, NotLean

ObjectKey = tuple[int, int]
"""(generation, object number), the key pyHanko's writer sorts its objects by."""

_OUTPUT_VERSION = (1, 7)  # what pyHanko's incremental writer raises older files to
_MAX_PAGE_TREE_DEPTH = 64


@dataclass
class UpdateObjects:
    """The objects of one incremental update: new ones and new versions of old ones."""

    next_id: int
    objects: dict[ObjectKey, generic.PdfObject] = field(default_factory=dict)

    def add_object(self, obj: generic.PdfObject) -> generic.IndirectObject:
        ref = generic.IndirectObject(self.next_id, 0, None)
        self.objects[(0, self.next_id)] = obj
        self.next_id += 1
        return ref

    def mark(self, ref: generic.IndirectObject, reader: LeanReader) -> None:
        """Write a new version of `ref` (as changed in place in the reader's cache)."""
        key = (ref.generation, ref.idnum)
        if key not in self.objects:
            self.objects[key] = reader.get(ref)


DrawAppearance = Callable[[UpdateObjects, float, float], generic.IndirectObject]
"""Adds the appearance XObject for a widget of this width and height; returns its reference."""


@dataclass
class LeanUpdate:
    objects: dict[ObjectKey, generic.PdfObject]
    trailer: generic.DictionaryObject


def new_field_update(
    reader: LeanReader,
    field_name: str,
    page: int,
    box: tuple[int, int, int, int] | None,
    sig_obj: SignatureObject,
    draw: DrawAppearance,
) -> LeanUpdate:
    """The update that adds a signature field `field_name` on `page` holding `sig_obj`."""
    if "." in field_name:
        raise NotLean("hierarchical field name")
    root_ref = _indirect(reader.trailer.raw_get("/Root"))
    root = _dict(reader.get(root_ref))
    if "/Perms" in root or "/Metadata" in root:
        raise NotLean("certified, usage rights or XMP metadata")
    update = UpdateObjects(next_id=int(reader.trailer["/Size"]))
    _ensure_version(reader, root_ref, root, update)
    page_ref = _find_page(reader, root, page)
    fields, fields_owner, form, form_owner = _form(reader, root_ref, root, update, field_name)

    sig_field = SignatureFormField(field_name, box=box, include_on_page=page_ref)
    field_ref = update.add_object(sig_field)
    fields.append(field_ref)
    update.mark(fields_owner, reader)
    _add_annotation(reader, page_ref, field_ref, update)
    _set_sig_flags(reader, form, form_owner, update)

    x1, y1, x2, y2 = (float(v) for v in sig_field["/Rect"])
    width, height = abs(x2 - x1), abs(y2 - y1)
    if width >= 1 and height >= 1:
        sig_field[generic.NameObject("/AP")] = generic.DictionaryObject(
            {generic.NameObject("/N"): draw(update, width, height)}
        )
    sig_field[generic.NameObject("/V")] = update.add_object(sig_obj)
    info_ref = _update_info(reader, update)
    return LeanUpdate(update.objects, _trailer(reader, root_ref, info_ref, update.next_id))


def _indirect(obj: generic.PdfObject) -> generic.IndirectObject:
    if not isinstance(obj, generic.IndirectObject):
        raise NotLean("expected an indirect reference")
    return obj


def _dict(obj: generic.PdfObject) -> generic.DictionaryObject:
    if not isinstance(obj, generic.DictionaryObject):
        raise NotLean("expected a dictionary")
    return obj


def _array(obj: generic.PdfObject) -> generic.ArrayObject:
    if not isinstance(obj, generic.ArrayObject):
        raise NotLean("expected an array")
    return obj


def _ensure_version(
    reader: LeanReader,
    root_ref: generic.IndirectObject,
    root: generic.DictionaryObject,
    update: UpdateObjects,
) -> None:
    version = get_and_apply(root, "/Version", parse_catalog_version) or reader.header_version
    if version >= (2, 0):
        raise NotLean("PDF 2.0: pyHanko writes XMP metadata")
    if version < _OUTPUT_VERSION:
        root[generic.NameObject("/Version")] = generic.NameObject(
            f"/{_OUTPUT_VERSION[0]}.{_OUTPUT_VERSION[1]}"
        )
        update.mark(root_ref, reader)


def _find_page(
    reader: LeanReader, root: generic.DictionaryObject, page: int
) -> generic.IndirectObject:
    """The page's reference, reading only the page-tree nodes on the way to it."""
    node_ref = _indirect(root.raw_get("/Pages"))
    count = int(_dict(reader.get(node_ref))["/Count"])
    index = page + count if page < 0 else page
    if not 0 <= index < count:
        raise NotLean("page index out of range")  # pyHanko's reader reports it
    for _ in range(_MAX_PAGE_TREE_DEPTH):
        node = _dict(reader.get(node_ref))
        for kid_ref in _array(node["/Kids"]):
            kid = _dict(reader.get(_indirect(kid_ref)))
            kind = kid.get("/Type")
            span = int(kid["/Count"]) if kind == "/Pages" else 1
            if index < span:
                if kind == "/Page":
                    return _indirect(kid_ref)
                if kind != "/Pages":
                    raise NotLean("page tree node of unknown type")
                node_ref = _indirect(kid_ref)
                break
            index -= span
        else:
            raise NotLean("page not found")
    raise NotLean("page tree too deep")


def _form(
    reader: LeanReader,
    root_ref: generic.IndirectObject,
    root: generic.DictionaryObject,
    update: UpdateObjects,
    field_name: str,
) -> tuple[
    generic.ArrayObject, generic.IndirectObject, generic.DictionaryObject, generic.IndirectObject
]:
    """The /Fields array and /AcroForm, each with the indirect object that holds it."""
    if "/AcroForm" not in root:
        form = generic.DictionaryObject()
        form_ref = update.add_object(form)
        root[generic.NameObject("/AcroForm")] = form_ref
        update.mark(root_ref, reader)
        fields = form[generic.NameObject("/Fields")] = generic.ArrayObject()
        return fields, form_ref, form, form_ref
    raw_form = root.raw_get("/AcroForm")
    form_owner = raw_form if isinstance(raw_form, generic.IndirectObject) else root_ref
    form = _dict(reader.get(raw_form))
    if "/Fields" not in form:
        form[generic.NameObject("/Fields")] = generic.ArrayObject()
        update.mark(form_owner, reader)
    raw_fields = form.raw_get("/Fields")
    fields_owner = raw_fields if isinstance(raw_fields, generic.IndirectObject) else form_owner
    fields = _array(reader.get(raw_fields))
    for existing in fields:
        if _dict(reader.get(_indirect(existing))).get("/T") == field_name:
            raise NotLean("a field of that name exists")  # pyHanko fills it or refuses
    return fields, fields_owner, form, form_owner


def _add_annotation(
    reader: LeanReader,
    page_ref: generic.IndirectObject,
    annot_ref: generic.IndirectObject,
    update: UpdateObjects,
) -> None:
    page = _dict(reader.get(page_ref))
    if "/Annots" not in page:
        page[generic.NameObject("/Annots")] = generic.ArrayObject([annot_ref])
        update.mark(page_ref, reader)
        return
    raw = page.raw_get("/Annots")
    _array(reader.get(raw)).append(annot_ref)
    update.mark(raw if isinstance(raw, generic.IndirectObject) else page_ref, reader)


def _set_sig_flags(
    reader: LeanReader,
    form: generic.DictionaryObject,
    form_owner: generic.IndirectObject,
    update: UpdateObjects,
) -> None:
    """SigFlags 3 (signatures exist, append only), no /NeedAppearances: as pyHanko's signer."""
    changed = form.get("/SigFlags") != 3 or "/NeedAppearances" in form
    form[generic.NameObject("/SigFlags")] = generic.NumberObject(3)
    form.pop("/NeedAppearances", None)
    if changed:
        update.mark(form_owner, reader)


def _update_info(reader: LeanReader, update: UpdateObjects) -> generic.IndirectObject:
    """/ModDate now and pyHanko named in /Producer, as pyHanko's writer does on every write."""
    meta = DocumentMetadata()
    if "/Info" not in reader.trailer:
        info = generic.DictionaryObject()
        update_info_dict(meta, info)
        return update.add_object(info)
    info_ref = _indirect(reader.trailer.raw_get("/Info"))
    info = _dict(reader.get(info_ref))
    if update_info_dict(meta, info):
        update.mark(info_ref, reader)
    return info_ref


def _trailer(
    reader: LeanReader,
    root_ref: generic.IndirectObject,
    info_ref: generic.IndirectObject,
    size: int,
) -> generic.DictionaryObject:
    trailer = generic.DictionaryObject(reader.trailer)
    trailer[generic.NameObject("/Root")] = root_ref
    trailer[generic.NameObject("/Info")] = info_ref
    trailer[generic.NameObject("/ID")] = generic.ArrayObject(
        [_first_id(reader.trailer), generic.ByteStringObject(os.urandom(16))]
    )
    trailer[generic.NameObject("/Prev")] = generic.NumberObject(reader.startxref)
    trailer[generic.NameObject("/Size")] = generic.NumberObject(size)
    return trailer


def _first_id(trailer: generic.DictionaryObject) -> generic.ByteStringObject:
    """The document's permanent identifier is kept; pyHanko's writer replaces only the second."""
    ids = trailer.get("/ID")
    if not isinstance(ids, generic.ArrayObject) or len(ids) != 2:
        return generic.ByteStringObject(os.urandom(16))
    first = ids[0]
    if isinstance(first, generic.TextStringObject):
        return generic.ByteStringObject(first.original_bytes)
    if isinstance(first, generic.ByteStringObject):
        return first
    raise NotLean("malformed /ID")
