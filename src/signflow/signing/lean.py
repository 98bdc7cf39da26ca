# mypy: disable-error-code="no-untyped-call"
# (pyHanko's PDF object constructors carry no annotations.)
"""The objects of a signature's incremental update, without pyHanko's writer.

For a signature in a new field, or in an empty signature field the document
already has, this is what pyHanko's `IncrementalPdfFileWriter` and its field
helpers change, in the same order: the catalog's /Version (raised to 1.7) and
/AcroForm, the form's /Fields, /SigFlags and /DR (the embedded font, when the
form lacks it), the page's /Annots, the merged field and widget, its
appearance, the signature dictionary and the /Info dictionary's /ModDate and
/Producer; plus the form values the signer gives (`forms.fill_fields`).
Documents where pyHanko would do more (certification or other /Perms, XMP
metadata, PDF 2.0, a filled or unusual field of that name, hierarchical names)
raise `NotLean`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.metadata.info import update_info_dict
from pyhanko.pdf_utils.metadata.model import DocumentMetadata
from pyhanko.pdf_utils.misc import get_and_apply
from pyhanko.pdf_utils.reader import parse_catalog_version
from pyhanko.sign.fields import FieldMDPSpec, SignatureFormField
from pyhanko.sign.signers.cms_embedder import fieldmdp_reference_dictionary
from pyhanko.sign.signers.pdf_byterange import SignatureObject

from signflow.signing.forms import ensure_font, fill_fields
from signflow.signing.pdfread import LeanReader, NotLean
from signflow.signing.sink import Ref

ObjectKey = tuple[int, int]
"""(generation, object number), the key pyHanko's writer sorts its objects by."""

_OUTPUT_VERSION = (1, 7)  # what pyHanko's incremental writer raises older files to
_MAX_PAGE_TREE_DEPTH = 64


@dataclass
class UpdateObjects:
    """The objects of one incremental update: new ones and new versions of old ones."""

    next_id: int
    objects: dict[ObjectKey, generic.PdfObject] = field(default_factory=dict)
    first_new_id: int = 0

    def __post_init__(self) -> None:
        self.first_new_id = self.next_id

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


@dataclass
class LeanAccess:
    """`sink.UpdateAccess` over the lean reader and the update's objects."""

    reader: LeanReader
    update: UpdateObjects

    def add_object(self, obj: generic.PdfObject) -> generic.IndirectObject:
        return self.update.add_object(obj)

    def resolve(self, obj: generic.PdfObject) -> generic.PdfObject:
        if isinstance(obj, generic.IndirectObject):
            added = self.update.objects.get((obj.generation, obj.idnum))
            if added is not None and obj.idnum >= self.update.first_new_id:
                return added
        return self.reader.get(obj)

    def mark(self, ref: Ref) -> None:
        if ref.idnum < self.update.first_new_id:
            if isinstance(ref, generic.Reference):
                ref = generic.IndirectObject(ref.idnum, ref.generation, self.reader)
            self.update.mark(ref, self.reader)


DrawAppearance = Callable[
    [LeanAccess, float, float, generic.IndirectObject], generic.IndirectObject
]
"""Adds the appearance XObject for a widget of this width and height, drawn with the
embedded font at the given reference; returns the appearance's reference."""


@dataclass
class LeanUpdate:
    objects: dict[ObjectKey, generic.PdfObject]
    trailer: generic.DictionaryObject


@dataclass(frozen=True)
class SignatureTarget:
    """Where the signature goes: the field (existing and empty, or new at `box` on `page`)."""

    field_name: str
    page: int
    box: tuple[int, int, int, int] | None
    lock: FieldMDPSpec | None = None
    """A lock (/Lock) for a new field, as pyHanko writes it when the field is created."""


def signature_update(
    reader: LeanReader,
    target: SignatureTarget,
    sig_obj: SignatureObject,
    draw: DrawAppearance,
    form_values: Mapping[str, str],
    field_lock: Callable[[list[str]], FieldMDPSpec | None],
) -> LeanUpdate:
    """The update that puts `sig_obj` into the field and writes `form_values`.

    `field_lock` gets the names of the fields written and returns the FieldMDP
    lock to record in the signature dictionary, if any.
    """
    if "." in target.field_name:
        raise NotLean("hierarchical field name")
    root_ref = _indirect(reader.trailer.raw_get("/Root"))
    root = _dict(reader.get(root_ref))
    if "/Perms" in root or "/Metadata" in root:
        raise NotLean("certified, usage rights or XMP metadata")
    update = UpdateObjects(next_id=int(reader.trailer["/Size"]))
    access = LeanAccess(reader, update)
    _ensure_version(reader, root_ref, root, update)
    fields, fields_owner, form, form_owner, existing = _form(
        reader, root_ref, root, update, target.field_name
    )
    sig_field: generic.DictionaryObject
    if existing is None:
        sig_field, field_ref = _new_field(reader, root, target, fields, fields_owner, update)
    else:
        field_ref = existing
        sig_field = _empty_signature_field(reader, existing)
        update.mark(field_ref, reader)
    _set_sig_flags(reader, form, form_owner, update)

    font_ref: generic.IndirectObject | None = None
    x1, y1, x2, y2 = (float(v) for v in sig_field["/Rect"])
    width, height = abs(x2 - x1), abs(y2 - y1)
    if width >= 1 and height >= 1:
        font_ref = ensure_font(access, form, form_owner)
        sig_field[generic.NameObject("/AP")] = generic.DictionaryObject(
            {generic.NameObject("/N"): draw(access, width, height, font_ref)}
        )
    written: list[str] = []
    if form_values:
        font_ref = font_ref or ensure_font(access, form, form_owner)
        written = fill_fields(access, fields, form_values, font_ref)
    lock = field_lock(written)
    if lock is not None:
        sig_obj[generic.NameObject("/Reference")] = generic.ArrayObject(
            [fieldmdp_reference_dictionary(lock, data_ref=root_ref.reference)]
        )
    sig_field[generic.NameObject("/V")] = update.add_object(sig_obj)
    info_ref = _update_info(reader, update)
    return LeanUpdate(update.objects, _trailer(reader, root_ref, info_ref, update.next_id))


def _new_field(
    reader: LeanReader,
    root: generic.DictionaryObject,
    target: SignatureTarget,
    fields: generic.ArrayObject,
    fields_owner: generic.IndirectObject,
    update: UpdateObjects,
) -> tuple[SignatureFormField, generic.IndirectObject]:
    page_ref = _find_page(reader, root, target.page)
    sig_field = SignatureFormField(target.field_name, box=target.box, include_on_page=page_ref)
    field_ref = update.add_object(sig_field)
    fields.append(field_ref)
    update.mark(fields_owner, reader)
    _add_annotation(reader, page_ref, field_ref, update)
    if target.lock is not None:
        sig_field[generic.NameObject("/Lock")] = update.add_object(target.lock.as_sig_field_lock())
    return sig_field, field_ref


def _empty_signature_field(
    reader: LeanReader, ref: generic.IndirectObject
) -> generic.DictionaryObject:
    """The existing field to sign, if it is what pyHanko fills without more ado."""
    sig_field = _dict(reader.get(ref))
    if sig_field.get("/FT") != "/Sig" or "/V" in sig_field:
        raise NotLean("not an empty signature field")  # pyHanko refuses it with its message
    if sig_field.get("/Subtype") != "/Widget" or "/Kids" in sig_field or "/Rect" not in sig_field:
        raise NotLean("a signature field without one merged widget")
    return sig_field


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
    generic.ArrayObject,
    generic.IndirectObject,
    generic.DictionaryObject,
    generic.IndirectObject,
    generic.IndirectObject | None,
]:
    """The /Fields array and /AcroForm, each with the indirect object that holds it, and the
    field named `field_name` if the form has one."""
    if "/AcroForm" not in root:
        form = generic.DictionaryObject()
        form_ref = update.add_object(form)
        root[generic.NameObject("/AcroForm")] = form_ref
        update.mark(root_ref, reader)
        fields = form[generic.NameObject("/Fields")] = generic.ArrayObject()
        return fields, form_ref, form, form_ref, None
    raw_form = root.raw_get("/AcroForm")
    form_owner = raw_form if isinstance(raw_form, generic.IndirectObject) else root_ref
    form = _dict(reader.get(raw_form))
    if "/Fields" not in form:
        form[generic.NameObject("/Fields")] = generic.ArrayObject()
        update.mark(form_owner, reader)
    raw_fields = form.raw_get("/Fields")
    fields_owner = raw_fields if isinstance(raw_fields, generic.IndirectObject) else form_owner
    fields = _array(reader.get(raw_fields))
    found = None
    for existing in fields:
        if _dict(reader.get(_indirect(existing))).get("/T") == field_name:
            if found is not None:
                raise NotLean("two fields of that name")
            found = _indirect(existing)
    return fields, fields_owner, form, form_owner, found


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
