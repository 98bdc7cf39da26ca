# mypy: disable-error-code="no-untyped-call"
# (pyHanko's PDF object constructors and writer internals carry no annotations.)
"""A long-lived PAdES signer: one parsed key, one CMS template, one reserved size."""

from __future__ import annotations

import asyncio
import binascii
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from io import BytesIO
from typing import Literal

from cryptography import x509
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.form_tools import get_single_field_annot
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.xref import write_xref_table
from pyhanko.sign.fields import (
    FieldMDPAction,
    FieldMDPSpec,
    MDPPerm,
    SigFieldSpec,
    SignatureFormField,
    SigSeedSubFilter,
    _insert_or_get_field_at,
    apply_sig_field_spec_properties,
    ensure_sig_flags,
    enumerate_sig_fields,
)
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.cms_embedder import SigMDPSetup
from pyhanko.sign.signers.pdf_byterange import (
    BYTE_RANGE_ARR_PLACE_HOLDER_LENGTH,
    DERPlaceholder,
    SigByteRangeObject,
    SignatureObject,
)
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation.pdf_embedded import read_certification_data

from signflow.errors import BadRequest, Conflict, InvalidPdf, ServiceUnavailable
from signflow.signing.appearance import (
    AppearanceSpec,
    SignatureDesign,
    SignatureKind,
    attach_appearance,
)
from signflow.signing.appearance import build_appearance as _build_appearance
from signflow.signing.cms import CmsTemplate
from signflow.signing.forms import ensure_font, fill_fields
from signflow.signing.keys import PrivateKey
from signflow.signing.lean import LeanAccess, SignatureTarget, signature_update
from signflow.signing.longterm import KnownMaterial, add_to_dss, timestamp_validation_data
from signflow.signing.pdfread import LeanReader, NotLean
from signflow.signing.sink import WriterAccess
from signflow.signing.token import TokenKey

SignatureLevel = Literal["B-B", "B-T", "B-LT", "B-LTA"]
LONG_TERM_LEVELS = frozenset({"B-LT", "B-LTA"})
"""Levels whose signatures carry their validation data (B-LTA adds document timestamps
when the package completes: `archive.py`)."""
DocMdpLevel = Literal[1, 2, 3]
Rect = tuple[float, float, float, float]

_MD = "sha256"
# Room for a timestamp token (the TSA's certificates included), in hex characters.
TIMESTAMP_RESERVE = 16384


@dataclass(frozen=True)
class SignRequest:
    field_name: str
    page: int = 0
    rect: Rect | None = None
    """x, y, width, height in points from the page's bottom-left; None for an invisible field."""
    reason: str | None = None
    location: str | None = None
    contact_info: str | None = None
    signer_name: str | None = None
    hand_signature_png: bytes | None = None
    kind: SignatureKind = "signature"
    initials: str | None = None
    """Typed initials for an initials stamp; derived from the signer's name when absent."""
    design: SignatureDesign = "HAND_SIGNATURE_WITH_DETAILS"
    """What the stamp shows (`appearance.SignatureDesign`)."""
    certify: DocMdpLevel | None = None
    lock_form_fields: bool = False
    """Lock every form field (FieldMDP All): for the document's last signature, after which
    any change to a field invalidates it."""
    form_values: Mapping[str, str] = field(default_factory=dict)
    """Values for existing form fields (see `form_spec`), written in this signature's update,
    so the signature covers them; the signature also locks those fields (FieldMDP Include)."""
    level: SignatureLevel = "B-B"
    timestamp_url: str | None = None
    validation_certs: Sequence[x509.Certificate] = field(default=())
    crls: Sequence[bytes] = field(default=())
    """DER CRLs of Signflow's certificates, embedded in the DSS for B-LT: the caller
    supplies them. The timestamp authority's revocation data is fetched (`longterm.py`)."""
    trust_roots: Sequence[x509.Certificate] = field(default=())
    """Roots the timestamp authority's chain may end in, beside a root its token carries."""


def common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def _hex_reserve(der_length: int) -> int:
    # DER doubles in hex; then double again so a longer chain or key still fits.
    needed = 4 * der_length + 512
    return -(-needed // 512) * 512


class FastSigner:
    """Signs PDFs with one key and certificate; build once, reuse for every signature."""

    def __init__(
        self,
        key: PrivateKey | TokenKey,
        cert: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
    ) -> None:
        self.cert = cert
        self.chain = tuple(chain)
        self.display_name = common_name(cert)
        self._template = CmsTemplate(key, cert, chain)
        self.bytes_reserved = _hex_reserve(len(self._template.build(bytes(32))))

    def sign(self, pdf: bytes, request: SignRequest) -> bytes:
        """Sign synchronously. B-T/B-LT call the TSA with their own event loop."""
        _check_request(request)
        try:
            return self._sign(pdf, request)
        except SigningError as exc:
            raise Conflict(f"The document cannot be signed: {exc}") from exc
        except PdfError as exc:
            raise InvalidPdf(f"The document cannot be signed: {exc}") from exc

    async def sign_async(self, pdf: bytes, request: SignRequest) -> bytes:
        return await asyncio.to_thread(self.sign, pdf, request)

    def _sign(self, pdf: bytes, request: SignRequest) -> bytes:
        update = self._lean_update(pdf, request)
        if update is None:
            writer, sig_obj = self._prepare(pdf, request)
            update = write_update(writer, len(pdf), sig_obj)
        digest = update.digest(pdf)
        tokens: list[bytes] = []
        stamp = _timestamper(request.timestamp_url, tokens) if request.level != "B-B" else None
        signed = update.signed(pdf, self._template.build(digest, timestamp=stamp))
        if request.level in LONG_TERM_LEVELS:
            signed = self._add_validation_data(signed, update.contents_bytes(), request, tokens)
        return signed

    def _lean_update(self, pdf: bytes, request: SignRequest) -> _Update | None:
        """The update read and written without pyHanko's reader and writer.

        None when the document or the request needs pyHanko's (see `lean.py`).
        """
        if request.certify is not None:
            return None
        signed_at = datetime.now(UTC).replace(microsecond=0)
        name = request.signer_name or self.display_name
        spec = _appearance_spec(request, name, signed_at)

        def draw(
            access: LeanAccess, width: float, height: float, font_ref: generic.IndirectObject
        ) -> generic.IndirectObject:
            return _build_appearance(access, width, height, spec, font_ref)

        field_spec = _field_spec(request)
        try:
            reader = LeanReader(pdf)
            lean = signature_update(
                reader,
                SignatureTarget(
                    request.field_name, request.page, field_spec.box, field_spec.field_mdp_spec
                ),
                self._signature_object(request, name, signed_at),
                draw,
                request.form_values,
                lambda written: _field_lock(request, written),
            )
        except NotLean:
            return None
        return serialize_update(lean.objects, lean.trailer, len(pdf))

    def _signature_object(
        self, request: SignRequest, name: str, signed_at: datetime
    ) -> SignatureObject:
        timestamped = request.level != "B-B"
        reserved = self.bytes_reserved + (TIMESTAMP_RESERVE if timestamped else 0)
        return SignatureObject(
            timestamp=signed_at,
            subfilter=SigSeedSubFilter.PADES,
            name=name,
            location=request.location,
            reason=request.reason,
            contact_info=request.contact_info,
            bytes_reserved=reserved,
        )

    def _prepare(
        self, pdf: bytes, request: SignRequest
    ) -> tuple[IncrementalPdfFileWriter, SignatureObject]:
        """The writer holding the field, appearance and signature dictionary to add."""
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        _check_mdp(writer, request)
        field_ref, created = _get_or_create_field(writer, request)
        signed_at = datetime.now(UTC).replace(microsecond=0)
        name = request.signer_name or self.display_name
        access = WriterAccess(writer)
        form_raw = writer.root.raw_get("/AcroForm")
        form_owner = form_raw if isinstance(form_raw, generic.IndirectObject) else writer.root_ref
        form = form_raw.get_object()
        font_refs: list[generic.IndirectObject] = []

        def font() -> generic.IndirectObject:
            if not font_refs:
                font_refs.append(ensure_font(access, form, form_owner))
            return font_refs[0]

        _maybe_add_appearance(
            writer, field_ref, request, name, signed_at, font, pdfa_part(writer.root) == 1
        )
        written = (
            fill_fields(access, form["/Fields"], request.form_values, font())
            if request.form_values
            else []
        )
        sig_obj = self._signature_object(request, name, signed_at)
        sig_ref = writer.add_object(sig_obj)
        field_ref.get_object()[generic.NameObject("/V")] = sig_ref
        if not created:
            writer.mark_update(field_ref)
        _mdp_setup(request, written).apply(sig_ref, writer)

        return writer, sig_obj

    def _add_validation_data(
        self, signed: bytes, contents: bytes, request: SignRequest, tokens: Sequence[bytes]
    ) -> bytes:
        """The DSS (and the signature's VRI entry) with everything needed to validate the
        signature and its timestamp offline: both chains and their revocation data."""
        own = KnownMaterial(
            trust_roots=request.trust_roots,
            certs=(self.cert, *self.chain, *request.validation_certs),
            crls=request.crls,
        )
        data = own.as_validation_data()
        for token in tokens:
            data = data + timestamp_validation_data(token, own)
        return add_to_dss(signed, [(contents, data)])


def _check_request(request: SignRequest) -> None:
    if request.level != "B-B" and not request.timestamp_url:
        raise BadRequest(f"A {request.level} signature needs a timestamp authority URL")
    if request.level in LONG_TERM_LEVELS and not request.crls:
        raise BadRequest(f"A {request.level} signature needs the revocation data (CRLs) to embed")
    if request.rect is not None and (request.rect[2] < 0 or request.rect[3] < 0):
        raise BadRequest("The signature rectangle has a negative size")


def _check_mdp(writer: IncrementalPdfFileWriter, request: SignRequest) -> None:
    certification = read_certification_data(writer.prev)
    if certification is not None and certification.permission == MDPPerm.NO_CHANGES:
        raise Conflict("The document is certified and allows no further signatures")
    if request.certify is not None:
        if certification is not None:
            raise Conflict("The document is already certified")
        if next(enumerate_sig_fields(writer.prev, filled_status=True), None) is not None:
            raise Conflict("Only the first signature of a document can certify it")


def _field_spec(request: SignRequest) -> SigFieldSpec:
    box = None
    if request.rect is not None and request.rect[2] > 0 and request.rect[3] > 0:
        x, y, w, h = request.rect
        box = (round(x), round(y), round(x + w), round(y + h))
    lock = FieldMDPSpec(action=FieldMDPAction.ALL) if request.lock_form_fields else None
    return SigFieldSpec(
        sig_field_name=request.field_name, on_page=request.page, box=box, field_mdp_spec=lock
    )


def _field_lock(request: SignRequest, written: Sequence[str]) -> FieldMDPSpec | None:
    """All fields after the last signature; otherwise the fields this signature wrote."""
    if request.lock_form_fields:
        return FieldMDPSpec(action=FieldMDPAction.ALL)
    if written:
        return FieldMDPSpec(action=FieldMDPAction.INCLUDE, fields=list(written))
    return None


def _mdp_setup(request: SignRequest, written: Sequence[str]) -> SigMDPSetup:
    return SigMDPSetup(
        md_algorithm=_MD,
        certify=request.certify is not None,
        docmdp_perms=MDPPerm(request.certify) if request.certify is not None else None,
        field_lock=_field_lock(request, written),
    )


def _maybe_add_appearance(
    writer: IncrementalPdfFileWriter,
    field_ref: generic.IndirectObject,
    request: SignRequest,
    name: str,
    signed_at: datetime,
    font: Callable[[], generic.IndirectObject],
    opaque: bool,
) -> None:
    annot = get_single_field_annot(field_ref.get_object())
    x1, y1, x2, y2 = (float(v) for v in annot.get("/Rect", (0, 0, 0, 0)))
    width, height = abs(x2 - x1), abs(y2 - y1)
    if width < 1 or height < 1:
        return
    font_ref = font()
    spec = replace(_appearance_spec(request, name, signed_at), opaque=opaque)
    attach_appearance(annot, _build_appearance(writer, width, height, spec, font_ref))
    writer.update_container(annot)


_PDFA_PART = re.compile(rb"pdfaid:part(?:>|=[\"'])\s*(\d)")


def pdfa_part(root: generic.DictionaryObject) -> int | None:
    """The PDF/A part the document claims in its XMP metadata (1, 2, 3, 4), if any."""
    try:
        metadata = root["/Metadata"]
        data = metadata.data if isinstance(metadata, generic.StreamObject) else b""
    except (KeyError, PdfError):
        return None
    found = _PDFA_PART.search(data)
    return int(found.group(1)) if found else None


def _appearance_spec(request: SignRequest, name: str, signed_at: datetime) -> AppearanceSpec:
    return AppearanceSpec(
        kind=request.kind,
        signer_name=name,
        signed_at=signed_at,
        reason=request.reason,
        hand_signature_png=request.hand_signature_png,
        initials=request.initials,
        design=request.design,
    )


def _timestamper(url: str | None, tokens: list[bytes]) -> Callable[[bytes], bytes]:
    """Asks the TSA for a token over the signature value; keeps each token in `tokens`."""
    assert url is not None

    def stamp(signature: bytes) -> bytes:
        digest = hashlib.sha256(signature).digest()
        try:
            token = asyncio.run(HTTPTimeStamper(url).async_timestamp(digest, _MD))
        except (TimestampRequestError, OSError) as exc:
            raise ServiceUnavailable("The timestamp authority did not answer") from exc
        tokens.append(bytes(token.dump()))
        return tokens[-1]

    return stamp


def _get_or_create_field(
    writer: IncrementalPdfFileWriter, request: SignRequest
) -> tuple[generic.IndirectObject, bool]:
    """What pyHanko's `PdfCMSEmbedder` does to find or add the field, walking the page tree once.

    Returns the field's reference and whether it was created.
    """
    spec = _field_spec(request)
    root = writer.root
    try:
        form = root["/AcroForm"]
    except KeyError:
        form = None
    if form is not None:
        existing = next(enumerate_sig_fields(writer, with_name=request.field_name), None)
        if existing is not None:
            _, value, ref = existing
            if value is not None:
                raise SigningError(
                    f"Signature field with name {request.field_name} appears to be filled already."
                )
            ensure_sig_flags(writer=writer, lock_sig_flags=True)
            return ref, False
    page_ref = writer.find_page_for_modification(spec.on_page)[0]
    if form is None:
        form = generic.DictionaryObject()
        root[generic.NameObject("/AcroForm")] = writer.add_object(form)
        form[generic.NameObject("/Fields")] = generic.ArrayObject()
        writer.update_root()
        form_created = True
    else:
        form_created = False
        if "/Fields" not in form:
            form[generic.NameObject("/Fields")] = generic.ArrayObject()
    fields = form["/Fields"]
    sig_field = SignatureFormField(
        request.field_name,
        box=spec.box,
        include_on_page=page_ref,
        combine_annotation=spec.combine_annotation,
        invis_settings=spec.invis_sig_settings,
        visible_settings=spec.visible_sig_settings,
    )
    _, field_ref = _insert_or_get_field_at(
        writer, fields, path=request.field_name.split("."), field_obj=sig_field
    )
    sig_field.register_widget_annotation(writer, field_ref)
    if not form_created:
        writer.update_container(fields)
    apply_sig_field_spec_properties(writer, sig_field=field_ref.get_object(), sig_field_spec=spec)
    ensure_sig_flags(writer=writer, lock_sig_flags=True)
    return field_ref, True


# --- The incremental update --------------------------------------------------
#
# pyHanko's in-place write appends the update to a BytesIO sharing the input's
# buffer, which copies the whole input (and reallocates it) before the first
# byte of the update lands; its object serialiser writes names byte by byte.
# Here the update goes to a small buffer of its own whose offsets start at the
# input's length, the digest runs over the input and the update without joining
# them, and one concatenation at the end makes the output. Plain objects are
# serialised to the same bytes pyHanko writes; anything else (streams, unusual
# types) is written by pyHanko itself.


class _OffsetBuffer(BytesIO):
    """A BytesIO whose positions start at `base`: pyHanko's writer sees file offsets."""

    def __init__(self, base: int) -> None:
        super().__init__()
        self.base = base

    def tell(self) -> int:
        return super().tell() + self.base

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence == 0:
            pos -= self.base
        return super().seek(pos, whence) + self.base


_PLAIN_NAME = re.compile(r"/[!\"$&'*+,\-.0-9:;=?@A-Z\\^_`a-z|~]*\Z")
_PLAIN_TEXT = re.compile(r"[ -~]*\Z")
_STRING_ESCAPE = re.compile(rb"[^A-Za-z0-9 ]")
_DICT_WRITE = generic.DictionaryObject.write_to_stream


def _escape_byte(match: re.Match[bytes]) -> bytes:
    return b"\\%03o" % match.group()[0]


class _Serializer:
    """Writes PDF objects exactly as pyHanko's `write_to_stream` would, faster."""

    def __init__(self, base: int) -> None:
        self.base = base
        self.buf = bytearray()
        self.contents: tuple[int, int] | None = None
        self.byte_range_at: int | None = None

    def position(self) -> int:
        return self.base + len(self.buf)

    def write(self, obj: generic.PdfObject, container: generic.Reference | None) -> None:
        buf = self.buf
        kind = type(obj)
        if kind is generic.NameObject:
            if _PLAIN_NAME.match(obj):  # type: ignore[call-overload]
                buf += obj.encode()  # type: ignore[attr-defined]
            else:
                self._fallback(obj, container)
        elif kind is generic.IndirectObject:
            buf += b"%d %d R" % (obj.idnum, obj.generation)  # type: ignore[attr-defined]
        elif kind is generic.NumberObject or kind is generic.FloatObject:
            buf += repr(obj).encode("ascii")
        elif kind is generic.ArrayObject:
            buf += b"["
            for item in obj:  # type: ignore[attr-defined]
                buf += b" "
                self.write(item, container)
            buf += b" ]"
        elif kind is generic.TextStringObject:
            if obj.force_output_encoding is None and _PLAIN_TEXT.match(obj):  # type: ignore[attr-defined, call-overload]
                encoded = obj.encode("ascii")  # type: ignore[attr-defined]
                buf += b"(" + _STRING_ESCAPE.sub(_escape_byte, encoded) + b")"
            else:
                self._fallback(obj, container)
        elif kind is generic.ByteStringObject:
            buf += b"<" + binascii.hexlify(obj) + b">"  # type: ignore[arg-type]
        elif kind is DERPlaceholder:
            start = self.position()
            buf += b"<" + obj.value + b">"  # type: ignore[attr-defined]
            if self.contents is None:
                self.contents = (start, self.position())
        elif kind is SigByteRangeObject:
            self.byte_range_at = self.position()
            buf += b"[]" + b" " * BYTE_RANGE_ARR_PLACE_HOLDER_LENGTH
        elif kind is generic.StreamObject:
            # As StreamObject.write_to_stream without encryption: /Length last, then the data.
            data = obj.encoded_data  # type: ignore[attr-defined]
            length = generic.NameObject("/Length")
            obj[length] = generic.NumberObject(len(data))  # type: ignore[index]
            try:
                self._dict(obj, container)  # type: ignore[arg-type]
            finally:
                del obj[length]  # type: ignore[attr-defined]
            buf += b"\nstream\n"
            buf += data
            buf += b"\nendstream"
        elif isinstance(obj, generic.DictionaryObject) and kind.write_to_stream is _DICT_WRITE:
            self._dict(obj, container)
        else:
            self._fallback(obj, container)

    def _dict(self, obj: generic.DictionaryObject, container: generic.Reference | None) -> None:
        buf = self.buf
        buf += b"<<\n"
        for key, value in list(obj.items()):
            self.write(key, container)
            buf += b" "
            self.write(value, container)
            buf += b"\n"
        buf += b">>"

    def _fallback(self, obj: generic.PdfObject, container: generic.Reference | None) -> None:
        out = _OffsetBuffer(self.position())
        obj.write_to_stream(out, None, container)
        self.buf += out.getvalue()


@dataclass
class _Update:
    """The serialised incremental update; `contents` is the /Contents hex string's span."""

    base: int
    section: bytearray
    contents: tuple[int, int]

    def digest(self, pdf: bytes) -> bytes:
        start, end = self.contents[0] - self.base, self.contents[1] - self.base
        section = memoryview(self.section)
        md = hashlib.sha256(memoryview(pdf))
        md.update(section[:start])
        md.update(section[end:])
        return md.digest()

    def signed(self, pdf: bytes, cms_der: bytes) -> bytes:
        start, end = self.contents[0] - self.base, self.contents[1] - self.base
        content_hex = binascii.hexlify(cms_der).upper()
        if len(content_hex) > end - start - 2:
            raise SigningError(
                f"The signature needs {len(content_hex)} hex characters,"
                f" {end - start - 2} were reserved"
            )
        self.section[start + 1 : start + 1 + len(content_hex)] = content_hex
        return b"".join((pdf, self.section))

    def contents_bytes(self) -> bytes:
        """The /Contents string's bytes (the CMS and its zero padding), once signed."""
        start, end = self.contents[0] - self.base, self.contents[1] - self.base
        return binascii.unhexlify(bytes(self.section[start + 1 : end - 1]))


def write_update(writer: IncrementalPdfFileWriter, base: int, sig_obj: SignatureObject) -> _Update:
    """Serialise the writer's incremental update as if appended at offset `base`.

    The /ByteRange is filled in; the /Contents placeholder is left for `_Update.signed`.
    """
    writer.digest_aware_write = True
    writer._prep_dom_for_writing()
    if (
        writer.security_handler is not None
        or writer.stream_xrefs
        or writer.object_streams
        or writer._need_mac_on_write
    ):
        return _pyhanko_update(writer, base, sig_obj)
    trailer = generic.DictionaryObject()
    writer._populate_trailer(trailer)
    trailer[generic.NameObject("/Size")] = generic.NumberObject(writer._lastobj_id + 1)
    return serialize_update(writer.objects, trailer, base)


def serialize_update(
    objects: Mapping[tuple[int, int], generic.PdfObject],
    trailer: generic.DictionaryObject,
    base: int,
) -> _Update:
    """Objects (keyed by generation and number), xref table and trailer, as at offset `base`.

    One object must be the signature dictionary; its /ByteRange is filled in.
    """
    out = _Serializer(base)
    positions: dict[tuple[int, int], int] = {}
    for generation, idnum in sorted(objects):
        positions[(generation, idnum)] = out.position()
        out.buf += b"%d %d obj\n" % (idnum, generation)
        container = generic.Reference(idnum, generation, None)
        out.write(objects[(generation, idnum)], container)
        out.buf += b"\nendobj\n"
    xref = _OffsetBuffer(out.position())
    xref_location = write_xref_table(xref, positions)
    out.buf += xref.getvalue()
    out.buf += b"trailer\n"
    out.write(trailer, None)
    out.buf += b"\nstartxref\n%d\n%%%%EOF\n" % xref_location
    assert out.contents is not None and out.byte_range_at is not None
    start, end = out.contents
    _fill_byte_range(out.buf, out.byte_range_at - base, start, end, out.position())
    return _Update(base, out.buf, out.contents)


def _fill_byte_range(section: bytearray, at: int, start: int, end: int, eof: int) -> None:
    value = b"[%d %d %d %d]" % (0, start, end, eof - end)
    assert len(value) <= BYTE_RANGE_ARR_PLACE_HOLDER_LENGTH + 2
    section[at : at + len(value)] = value


def _pyhanko_update(
    writer: IncrementalPdfFileWriter, base: int, sig_obj: SignatureObject
) -> _Update:
    """Encrypted files, xref streams, object streams: pyHanko serialises, still on the side."""
    out = _OffsetBuffer(base)
    writer._write_updated_section(out)
    eof = out.tell()
    start, end = sig_obj.contents.offsets
    sig_obj.byte_range.fill_offsets(out, start, end, eof)
    return _Update(base, bytearray(out.getbuffer()), (start, end))
