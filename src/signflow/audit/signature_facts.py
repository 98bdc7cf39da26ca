"""What a completed document shows of each signature: the certificate behind it and the
image on the page, for the evidence report."""

from __future__ import annotations

import io
from dataclasses import dataclass

from asn1crypto import cms, x509
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import extract_certificate_info

from signflow.pdf.render import render_page_image
from signflow.signing.pdfread import LeanReader, NotLean

# Enough to read a hand-drawn signature, small enough to keep the report light.
IMAGE_DPI = 110


@dataclass(frozen=True)
class CertificateFact:
    serial: str
    """Hexadecimal, as certificate viewers and `openssl x509 -serial` print it."""
    subject: str


@dataclass(frozen=True)
class FieldBox:
    page_index: int
    x: float
    y: float
    width: float
    height: float


def certificates_by_field(pdf: bytes) -> dict[str, CertificateFact]:
    """The signer's certificate of each signed field, by field name.

    pyHanko's reader tokenises each signature's /Contents (kilobytes of hex) one byte at a
    time: about a tenth of a package's CPU in the whole-workflow profile. The forms
    Signflow's signer writes (classic cross-reference tables, top-level signature fields)
    are read by the signer's lean reader instead, which takes the hex in one step; any
    other file goes through pyHanko as before."""
    try:
        signers = _signer_certs_lean(pdf)
    except NotLean:
        signers = _signer_certs_pyhanko(pdf)
    return {
        name: CertificateFact(
            serial=format(cert.serial_number, "X"), subject=cert.subject.human_friendly
        )
        for name, cert in signers.items()
    }


def _signer_certs_pyhanko(pdf: bytes) -> dict[str, x509.Certificate]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return {s.field_name: s.signer_cert for s in reader.embedded_signatures}


def _entry(dictionary: generic.DictionaryObject, key: str) -> generic.PdfObject:
    """The entry as written (a reference stays one: the lean reader resolves it)."""
    return dictionary.raw_get(key) if key in dictionary else generic.NullObject()


_SUBFILTERS = frozenset(str(subfilter.value) for subfilter in SigSeedSubFilter)


def _signer_certs_lean(pdf: bytes) -> dict[str, x509.Certificate]:
    """As pyHanko's `embedded_signatures` sees them (filled signature fields with a known
    /SubFilter, the signer's certificate as pyHanko picks it from the CMS), for files the
    lean reader takes; NotLean for anything it would have to guess about."""
    reader = LeanReader(pdf)
    root = reader.get(reader.trailer.raw_get("/Root"))
    if not isinstance(root, generic.DictionaryObject):
        raise NotLean("no catalog")
    if "/AcroForm" not in root:
        return {}
    form = reader.get(root.raw_get("/AcroForm"))
    if not isinstance(form, generic.DictionaryObject):
        raise NotLean("no form dictionary")
    fields = reader.get(_entry(form, "/Fields"))
    if not isinstance(fields, generic.ArrayObject):
        raise NotLean("no field array")
    certs: dict[str, x509.Certificate] = {}
    for ref in fields:
        field = reader.get(ref)
        if not isinstance(field, generic.DictionaryObject) or "/Kids" in field:
            raise NotLean("nested fields: pyHanko names them")
        kind = str(reader.get(_entry(field, "/FT")))
        if kind != "/Sig" or "/V" not in field:
            continue
        signature = reader.get(field.raw_get("/V"))
        if not isinstance(signature, generic.DictionaryObject):
            raise NotLean("signature value is not a dictionary")
        if str(reader.get(_entry(signature, "/SubFilter"))) not in _SUBFILTERS:
            raise NotLean("a /SubFilter pyHanko would skip with a warning")
        contents = reader.get(_entry(signature, "/Contents"))
        name = reader.get(_entry(field, "/T"))
        if not isinstance(contents, generic.ByteStringObject | generic.TextStringObject):
            raise NotLean("no /Contents string")
        if not isinstance(name, generic.TextStringObject | generic.ByteStringObject):
            raise NotLean("no field name")
        raw = contents.original_bytes
        signed_data = cms.ContentInfo.load(raw)["content"]
        certs[str(name)] = extract_certificate_info(signed_data).signer_cert
    return certs


def certificate_der(pdf: bytes, field_name: str) -> bytes | None:
    """The DER of the certificate that signed `field_name`, or None when it is unsigned."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    for signature in reader.embedded_signatures:
        if signature.field_name == field_name:
            der: bytes = signature.signer_cert.dump()
            return der
    return None


def field_image(pdf: bytes, box: FieldBox) -> bytes:
    """The field's area of its page as drawn (the stamp and hand signature), as PNG."""
    return field_image_of_page(page_image(pdf, box.page_index), box)


def page_image(pdf: bytes, page_index: int) -> Image.Image:
    """A page drawn at the resolution of field images, for `field_image_of_page`."""
    return render_page_image(pdf, page_index, IMAGE_DPI)


def field_image_of_page(page: Image.Image, box: FieldBox) -> bytes:
    """As `field_image`, from its page already drawn by `page_image`."""
    scale = IMAGE_DPI / 72
    top = page.height - (box.y + box.height) * scale
    area = (
        max(0, round(box.x * scale)),
        max(0, round(top)),
        min(page.width, round((box.x + box.width) * scale)),
        min(page.height, round(top + box.height * scale)),
    )
    out = io.BytesIO()
    page.crop(area).save(out, format="PNG")
    return out.getvalue()
