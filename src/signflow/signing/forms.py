# mypy: disable-error-code="no-untyped-call"
# (pyHanko's PDF object constructors and writer carry no annotations.)
"""The document's form: fields created when a package is shared, values written when signed.

`prepare_form` makes one incremental update, before any signature, that creates
every form field of the package (empty, or holding the owner's prefilled value)
and every empty signature field, with the embedded font in the form's default
resources and an appearance stream for every widget. Later, each signature's
update writes its signer's values into those existing fields (`fill_fields`,
called by the signer on either of its paths): a validator then sees form
filling, which certification level 2 and approval signatures allow, and not the
creation of new fields, which they do not.

A value is written as the field's /V with a regenerated appearance (/AP /N) (a
list box's selected indices, /I, are never written), or
for check boxes and radio buttons as /V and the widgets' appearance state /AS
(their on and off appearances are made at creation). Fields without a value
draw nothing: no border, no background. Fields are created read-only, so a
viewer does not offer to type into them: values come only through Signflow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.fields import (
    SignatureFormField,
    _insert_or_get_field_at,
    ensure_sig_flags,
    enumerate_sig_fields,
)

from signflow.errors import BadRequest, InvalidPdf
from signflow.signing.appearance import font_resources, form_xobject
from signflow.signing.fields import EmptyField
from signflow.signing.fonts import signflow_font
from signflow.signing.form_spec import FormFieldSpec, FormKind, Widget
from signflow.signing.sink import ObjectSink, Ref, UpdateAccess, WriterAccess
from signflow.signing.textfit import one_line, paragraph, text_operators

# Field flags (/Ff), ISO 32000-1 tables 221, 226, 228 and 230.
READ_ONLY = 1 << 0
MULTILINE = 1 << 12
NO_TOGGLE_TO_OFF = 1 << 14
RADIO = 1 << 15
PUSHBUTTON = 1 << 16
COMBO = 1 << 17
# Annotation flags (/F): Print.
PRINT = 1 << 2

CHECKED, UNCHECKED = "true", "false"
ON_STATE = "/Yes"
OFF_STATE = "/Off"
FIELD_TEXT_SIZE = 11.0
"""The text size of a form value when its box is tall enough; smaller boxes shrink it."""
_PAD = 2.0
_MAX_VALUE_LENGTH = 10_000


def pdf_field_name(name: str) -> str:
    """The field's partial name (/T) in the PDF: a dot would make it a hierarchy there."""
    return name.replace(".", "_")


# --- the font --------------------------------------------------------------


def _child_dict(
    access: UpdateAccess,
    parent: generic.DictionaryObject,
    owner: Ref,
    key: str,
) -> tuple[generic.DictionaryObject, Ref]:
    """`parent[key]` (created empty if absent) and the object to mark when it changes."""
    if key in parent:
        raw = parent.raw_get(key)
        child = access.resolve(raw)
        if not isinstance(child, generic.DictionaryObject):
            raise InvalidPdf(f"The document's {key} is not a dictionary")
        return child, raw if isinstance(raw, generic.IndirectObject) else owner
    child = generic.DictionaryObject()
    parent[pdf_name(key)] = child
    access.mark(owner)
    return child, owner


def ensure_font(
    access: UpdateAccess,
    form: generic.DictionaryObject,
    form_owner: Ref,
    reuse: bool = True,
) -> generic.IndirectObject:
    """The embedded font registered in the form's /DR; embedded and registered if missing.

    A font of another name, or of this name but not this subset, is never used;
    with `reuse=False` the font is embedded anew whatever the form has.
    """
    font = signflow_font()
    resources, resources_owner = _child_dict(access, form, form_owner, "/DR")
    fonts, fonts_owner = _child_dict(access, resources, resources_owner, "/Font")
    if reuse and font.resource_name in fonts:
        raw = fonts.raw_get(font.resource_name)
        if isinstance(raw, generic.IndirectObject) and font.is_this_font(access.resolve(raw)):
            return raw
    ref = font.add_to(access)
    fonts[pdf_name(font.resource_name)] = ref
    access.mark(fonts_owner)
    return ref


def _default_appearance(size: float = 0) -> generic.TextStringObject:
    """/DA: the embedded font, auto size (0) by default, black."""
    return generic.TextStringObject(f"{signflow_font().resource_name} {size:g} Tf 0 g")


# --- appearances ------------------------------------------------------------


def _box(widget: generic.DictionaryObject) -> tuple[float, float]:
    try:
        x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidPdf("A form field's widget has no usable /Rect") from exc
    return abs(x2 - x1), abs(y2 - y1)


def value_appearance(
    sink: ObjectSink,
    font_ref: generic.IndirectObject,
    width: float,
    height: float,
    text: str,
    multiline: bool = False,
) -> generic.IndirectObject:
    """The appearance of a text or choice value: fitted, clipped to the box, or nothing."""
    if not text:
        return form_xobject(sink, width, height, b"/Tx BMC\nEMC\n")
    font = signflow_font()
    inner_w, inner_h = max(width - 2 * _PAD, 1.0), max(height - 2 * _PAD, 1.0)
    if multiline:
        lines = paragraph(font, text, inner_w, inner_h, FIELD_TEXT_SIZE)
    else:
        lines = [one_line(font, text, inner_w, inner_h, FIELD_TEXT_SIZE)]
    content = (
        b"/Tx BMC\nq\n%.2f %.2f %.2f %.2f re W n\n" % (1.0, 1.0, width - 2, height - 2)
        + text_operators(font, lines, _PAD, _PAD)
        + b"Q\nEMC\n"
    )
    return form_xobject(sink, width, height, content, font_resources(font_ref))


def _tick(width: float, height: float) -> bytes:
    side = min(width, height)
    x0, y0 = (width - side) / 2, (height - side) / 2
    points = [(0.2, 0.52), (0.42, 0.27), (0.8, 0.76)]
    (ax, ay), (bx, by), (cx, cy) = ((x0 + px * side, y0 + py * side) for px, py in points)
    return b"q 0 G 1 J 1 j %.2f w %.2f %.2f m %.2f %.2f l %.2f %.2f l S Q\n" % (
        side * 0.11,
        ax,
        ay,
        bx,
        by,
        cx,
        cy,
    )


def _circle(cx: float, cy: float, r: float) -> bytes:
    k = 0.5523 * r  # four Bezier arcs
    return (
        b"%.2f %.2f m " % (cx + r, cy)
        + b"%.2f %.2f %.2f %.2f %.2f %.2f c " % (cx + r, cy + k, cx + k, cy + r, cx, cy + r)
        + b"%.2f %.2f %.2f %.2f %.2f %.2f c " % (cx - k, cy + r, cx - r, cy + k, cx - r, cy)
        + b"%.2f %.2f %.2f %.2f %.2f %.2f c " % (cx - r, cy - k, cx - k, cy - r, cx, cy - r)
        + b"%.2f %.2f %.2f %.2f %.2f %.2f c h " % (cx + k, cy - r, cx + r, cy - k, cx + r, cy)
    )


def _radio_dot(width: float, height: float) -> bytes:
    side = min(width, height)
    cx, cy = width / 2, height / 2
    line = side * 0.07
    return (
        b"q 0 G 0 g %.2f w " % line
        + _circle(cx, cy, side / 2 - line)
        + b"S "
        + _circle(cx, cy, side * 0.22)
        + b"f Q\n"
    )


def _state_appearances(
    sink: ObjectSink,
    width: float,
    height: float,
    on_state: str,
    content: bytes,
    off: generic.PdfObject,
) -> generic.DictionaryObject:
    return generic.DictionaryObject(
        {
            pdf_name("/N"): generic.DictionaryObject(
                {
                    pdf_name(on_state): form_xobject(sink, width, height, content),
                    pdf_name(OFF_STATE): off,
                }
            )
        }
    )


# --- creating fields ----------------------------------------------------------


def _check_specs(
    form_fields: Sequence[FormFieldSpec],
    signature_fields: Sequence[EmptyField],
    values: Mapping[str, str],
) -> None:
    names = [pdf_field_name(spec.name) for spec in form_fields]
    names += [field.name for field in signature_fields]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise BadRequest(f"Field names must be unique in a document: {', '.join(duplicates)}")
    known = {spec.name for spec in form_fields}
    unknown = sorted(set(values) - known)
    if unknown:
        raise BadRequest(f"Values given for fields that do not exist: {', '.join(unknown)}")
    for spec in form_fields:
        if not spec.name:
            raise BadRequest("A form field needs a name")
        if not spec.widgets:
            raise BadRequest(f"The field {spec.name} has no place on a page")
        for widget in spec.widgets:
            if widget.rect[2] <= 0 or widget.rect[3] <= 0:
                raise BadRequest(f"The field {spec.name} has a box of no size")
        if spec.kind is FormKind.RADIO:
            exports = [w.value for w in spec.widgets]
            if any(not v or v == OFF_STATE[1:] for v in exports) or len(set(exports)) < len(
                exports
            ):
                raise BadRequest(
                    f"The radio group {spec.name} needs a distinct value for each button"
                    " (and none may be 'Off')"
                )
        elif spec.kind in (FormKind.DROPDOWN, FormKind.LISTBOX) and not spec.options:
            raise BadRequest(f"The field {spec.name} has no options")


def _page_refs(
    writer: IncrementalPdfFileWriter, pages: Iterable[int]
) -> dict[int, generic.IndirectObject]:
    refs = {}
    for page in sorted(set(pages)):
        try:
            refs[page] = writer.find_page_for_modification(page)[0]
        except (PdfError, IndexError, ValueError) as exc:
            raise BadRequest(f"The document has no page {page + 1}") from exc
    return refs


def _widget_dict(widget: Widget, page_ref: generic.IndirectObject) -> generic.DictionaryObject:
    x, y, w, h = widget.rect
    return generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/Rect"): generic.ArrayObject(
                generic.FloatObject(round(v, 2)) for v in (x, y, x + w, y + h)
            ),
            pdf_name("/P"): page_ref,
            pdf_name("/F"): generic.NumberObject(PRINT),
        }
    )


def _field_dict(spec: FormFieldSpec) -> generic.DictionaryObject:
    flags = READ_ONLY
    entries: dict[str, generic.PdfObject] = {}
    if spec.kind in (FormKind.TEXT, FormKind.DATE):
        field_type = "/Tx"
        if spec.multiline:
            flags |= MULTILINE
    elif spec.kind is FormKind.CHECKBOX:
        field_type = "/Btn"
        entries["/V"] = pdf_name(OFF_STATE)
    elif spec.kind is FormKind.RADIO:
        field_type = "/Btn"
        flags |= RADIO | NO_TOGGLE_TO_OFF
        entries["/V"] = pdf_name(OFF_STATE)
    else:
        field_type = "/Ch"
        if spec.kind is FormKind.DROPDOWN:
            flags |= COMBO
        entries["/Opt"] = generic.ArrayObject(generic.pdf_string(o) for o in spec.options)
    if field_type != "/Btn":
        entries["/DA"] = _default_appearance()
    field = generic.DictionaryObject(
        {
            pdf_name("/FT"): pdf_name(field_type),
            pdf_name("/T"): generic.pdf_string(pdf_field_name(spec.name)),
            pdf_name("/Ff"): generic.NumberObject(flags),
        }
    )
    for key, value in entries.items():
        field[pdf_name(key)] = value
    return field


def _add_field(
    writer: IncrementalPdfFileWriter,
    spec: FormFieldSpec,
    page_refs: Mapping[int, generic.IndirectObject],
    font_ref: generic.IndirectObject,
    empty: generic.IndirectObject,
    prefilled: bool,
) -> generic.IndirectObject:
    """Create the field and its widgets (with their off appearances, and empty ones for
    text and choices that are not `prefilled`); return it."""
    field = _field_dict(spec)
    widgets = [_widget_dict(w, page_refs[w.page]) for w in spec.widgets]
    for widget_spec, widget in zip(spec.widgets, widgets, strict=True):
        width, height = widget_spec.rect[2], widget_spec.rect[3]
        if spec.kind is FormKind.CHECKBOX:
            widget[pdf_name("/AP")] = _state_appearances(
                writer, width, height, ON_STATE, _tick(width, height), empty
            )
            widget[pdf_name("/AS")] = pdf_name(OFF_STATE)
        elif spec.kind is FormKind.RADIO:
            assert widget_spec.value is not None
            widget[pdf_name("/AP")] = _state_appearances(
                writer, width, height, "/" + widget_spec.value, _radio_dot(width, height), empty
            )
            widget[pdf_name("/AS")] = pdf_name(OFF_STATE)
        elif not prefilled:
            widget[pdf_name("/AP")] = generic.DictionaryObject(
                {pdf_name("/N"): value_appearance(writer, font_ref, width, height, "")}
            )
    if len(widgets) == 1 and spec.kind is not FormKind.RADIO:
        field.update(widgets[0])
        field_ref = writer.add_object(field)
        writer.register_annotation(page_refs[spec.widgets[0].page], field_ref)
        return field_ref
    # Several widgets (a radio group's buttons): each is a child field named by its index,
    # holding its widget, and takes the value (/V) from the parent. A child of widgets
    # only would be the more common form, but a validator's difference analysis (pyHanko's)
    # does not follow widgets without a name, so their new appearance state would count as
    # an unexplained change rather than as form filling.
    field_ref = writer.add_object(field)
    kids = generic.ArrayObject()
    for index, (widget_spec, widget) in enumerate(zip(spec.widgets, widgets, strict=True)):
        widget[pdf_name("/T")] = generic.TextStringObject(str(index))
        widget[pdf_name("/Parent")] = field_ref
        kid_ref = writer.add_object(widget)
        kids.append(kid_ref)
        writer.register_annotation(page_refs[widget_spec.page], kid_ref)
    field[pdf_name("/Kids")] = kids
    return field_ref


def _add_signature_field(
    writer: IncrementalPdfFileWriter,
    fields: generic.ArrayObject,
    field: EmptyField,
    page_ref: generic.IndirectObject,
    empty: generic.IndirectObject,
) -> None:
    x, y, width, height = field.rect
    box = (round(x), round(y), round(x + width), round(y + height))
    sig_field = SignatureFormField(field.name, box=box, include_on_page=page_ref)
    _, field_ref = _insert_or_get_field_at(
        writer, fields, path=field.name.split("."), field_obj=sig_field
    )
    sig_field.register_widget_annotation(writer, field_ref)
    if width > 0 and height > 0:
        # Every widget has an appearance (PDF/A asks for one); an empty one until signed.
        sig_field[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): empty})


def _form(
    writer: IncrementalPdfFileWriter,
) -> tuple[generic.DictionaryObject, Ref, generic.ArrayObject]:
    """The /AcroForm (created if absent), the object holding it, and its /Fields."""
    root = writer.root
    if "/AcroForm" not in root:
        form_ref = writer.add_object(generic.DictionaryObject())
        root[pdf_name("/AcroForm")] = form_ref
        writer.update_root()
    raw = root.raw_get("/AcroForm")
    owner = raw if isinstance(raw, generic.IndirectObject) else writer.root_ref
    form = raw.get_object()
    if not isinstance(form, generic.DictionaryObject):
        raise InvalidPdf("The document's /AcroForm is not a dictionary")
    if "/Fields" not in form:
        form[pdf_name("/Fields")] = generic.ArrayObject()
        writer.mark_update(owner)
    raw_fields = form.raw_get("/Fields")
    fields = raw_fields.get_object()
    if not isinstance(fields, generic.ArrayObject):
        raise InvalidPdf("The document's form field list is not an array")
    writer.mark_update(raw_fields if isinstance(raw_fields, generic.IndirectObject) else owner)
    return form, owner, fields


def _existing_names(fields: generic.ArrayObject) -> set[str]:
    names = set()
    for ref in fields:
        field = ref.get_object()
        if isinstance(field, generic.DictionaryObject) and "/T" in field:
            names.add(str(field["/T"]))
    return names


def prepare_form(
    pdf: bytes,
    form_fields: Sequence[FormFieldSpec],
    signature_fields: Sequence[EmptyField],
    values: Mapping[str, str],
) -> bytes:
    """The PDF with one incremental update creating every field, before any signature.

    `values` (field name -> value, as in `form_spec`) are the owner's prefilled
    values, written with their appearances. Signature fields the document already
    has are left as they are; a form field whose name the document already uses
    is a `BadRequest`. With nothing to create, the PDF comes back unchanged.
    """
    _check_specs(form_fields, signature_fields, values)
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    except PdfError as exc:
        raise InvalidPdf(f"The document cannot be read: {exc}") from exc
    access = WriterAccess(writer)
    form, form_owner, fields = _form(writer)
    existing = _existing_names(fields)
    taken = sorted(existing & {pdf_field_name(spec.name) for spec in form_fields})
    if taken:
        raise BadRequest(f"The document already has form fields named {', '.join(taken)}")
    existing_signatures = {name for name, _, _ in enumerate_sig_fields(writer)}
    new_signatures = [f for f in signature_fields if f.name not in existing_signatures]
    if not form_fields and not new_signatures:
        return pdf  # nothing to create (a share step run again, or a package without fields)
    page_refs = _page_refs(
        writer,
        [w.page for spec in form_fields for w in spec.widgets] + [f.page for f in new_signatures],
    )
    # Always a font of this update's own: a document may come with a lookalike.
    font_ref = ensure_font(access, form, form_owner, reuse=False)
    if "/DA" not in form:
        form[pdf_name("/DA")] = _default_appearance()
        access.mark(form_owner)
    empty = form_xobject(writer, 1, 1, b"")
    for spec in form_fields:
        value = values.get(spec.name, "")
        field_ref = _add_field(writer, spec, page_refs, font_ref, empty, prefilled=bool(value))
        fields.append(field_ref)
        if value:
            fill_field(access, field_ref, value, font_ref, spec.name)
    for field in new_signatures:
        _add_signature_field(writer, fields, field, page_refs[field.page], empty)
    if new_signatures:
        ensure_sig_flags(writer=writer, lock_sig_flags=False)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


# --- filling fields -------------------------------------------------------------


def find_fields(
    access: UpdateAccess, fields: generic.ArrayObject, names: Iterable[str]
) -> dict[str, generic.IndirectObject]:
    """The top-level fields named `names` (as the workflow names them); BadRequest if one lacks."""
    wanted = {pdf_field_name(name): name for name in names}
    found: dict[str, generic.IndirectObject] = {}
    for ref in fields:
        if not isinstance(ref, generic.IndirectObject):
            continue
        field = access.resolve(ref)
        if isinstance(field, generic.DictionaryObject) and "/T" in field:
            name = wanted.get(str(field["/T"]))
            if name is not None:
                found[name] = ref
    missing = sorted(set(wanted.values()) - set(found))
    if missing:
        raise BadRequest(f"The document has no form field named {', '.join(missing)}")
    return found


def fill_fields(
    access: UpdateAccess,
    fields: generic.ArrayObject,
    values: Mapping[str, str],
    font_ref: generic.IndirectObject,
) -> list[str]:
    """Write `values` into the existing fields; return the PDF names of the fields written."""
    written = []
    for name, ref in find_fields(access, fields, values).items():
        fill_field(access, ref, values[name], font_ref, name)
        written.append(pdf_field_name(name))
    return written


def _widgets(
    access: UpdateAccess, field_ref: generic.IndirectObject, field: generic.DictionaryObject
) -> list[tuple[generic.IndirectObject, generic.DictionaryObject]]:
    if "/Kids" not in field:
        return [(field_ref, field)]
    out = []
    for kid_ref in access.resolve(field.raw_get("/Kids")):  # type: ignore[attr-defined]
        kid = access.resolve(kid_ref)
        if not isinstance(kid_ref, generic.IndirectObject) or not isinstance(
            kid, generic.DictionaryObject
        ):
            raise InvalidPdf("A form field's widget is not an indirect dictionary")
        if "/Kids" in kid or kid.get("/Subtype") != "/Widget":
            raise InvalidPdf("Form fields nested more than one level are not supported")
        out.append((kid_ref, kid))
    return out


def _on_states(access: UpdateAccess, widget: generic.DictionaryObject) -> list[str]:
    try:
        normal = access.resolve(access.resolve(widget.raw_get("/AP"))["/N"])  # type: ignore[index]
    except (KeyError, TypeError):
        return []
    if not isinstance(normal, generic.DictionaryObject):
        return []
    return [str(key) for key in normal if key != OFF_STATE]


def _choice_options(access: UpdateAccess, field: generic.DictionaryObject) -> list[tuple[str, str]]:
    """(export value, displayed text) of each option of a choice field."""
    options = []
    raw = access.resolve(field.raw_get("/Opt")) if "/Opt" in field else generic.ArrayObject()
    for item in raw:  # type: ignore[attr-defined]
        item = access.resolve(item)
        if isinstance(item, generic.ArrayObject) and len(item) == 2:
            options.append((str(access.resolve(item[0])), str(access.resolve(item[1]))))
        else:
            options.append((str(item), str(item)))
    return options


def fill_field(
    access: UpdateAccess,
    field_ref: generic.IndirectObject,
    value: str,
    font_ref: generic.IndirectObject,
    name: str,
) -> None:
    """Write one value (as in `form_spec`) into the field at `field_ref`."""
    field = access.resolve(field_ref)
    if not isinstance(field, generic.DictionaryObject):
        raise InvalidPdf(f"The form field {name} is not a dictionary")
    if len(value) > _MAX_VALUE_LENGTH:
        raise BadRequest(f"The value of {name} is longer than {_MAX_VALUE_LENGTH} characters")
    field_type = field.get("/FT")
    flags = int(field.get("/Ff", 0))
    widgets = _widgets(access, field_ref, field)
    if field_type == "/Tx":
        field[pdf_name("/V")] = generic.pdf_string(value)
        _draw_value(access, widgets, font_ref, value, bool(flags & MULTILINE))
    elif field_type == "/Ch":
        options = _choice_options(access, field)
        index = next((i for i, (export, _) in enumerate(options) if export == value), None)
        if index is None:
            raise BadRequest(f"{value!r} is not one of the options of {name}")
        # /V only, never /I (the selected indices): fields are single-choice, so the
        # spec makes /I optional and /V wins over it, and a validator's form-filling
        # whitelist (pyHanko's) has no /I, so writing it would make a later signer's
        # choice count against every earlier signature.
        field[pdf_name("/V")] = generic.pdf_string(value)
        _draw_value(access, widgets, font_ref, options[index][1], multiline=False)
    elif field_type == "/Btn" and not flags & PUSHBUTTON:
        _set_state(access, name, field, widgets, value, radio=bool(flags & RADIO))
    else:
        raise BadRequest(f"The field {name} does not take a value")
    access.mark(field_ref)


def _draw_value(
    access: UpdateAccess,
    widgets: list[tuple[generic.IndirectObject, generic.DictionaryObject]],
    font_ref: generic.IndirectObject,
    text: str,
    multiline: bool,
) -> None:
    for ref, widget in widgets:
        width, height = _box(widget)
        widget[pdf_name("/AP")] = generic.DictionaryObject(
            {pdf_name("/N"): value_appearance(access, font_ref, width, height, text, multiline)}
        )
        access.mark(ref)


def _set_state(
    access: UpdateAccess,
    name: str,
    field: generic.DictionaryObject,
    widgets: list[tuple[generic.IndirectObject, generic.DictionaryObject]],
    value: str,
    radio: bool,
) -> None:
    states = [_on_states(access, widget) for _, widget in widgets]
    if radio:
        chosen = "/" + value
        if not any(chosen in s for s in states):
            raise BadRequest(f"{value!r} is not one of the buttons of {name}")
    else:
        if value not in (CHECKED, UNCHECKED):
            raise BadRequest(f"The check box {name} takes 'true' or 'false', not {value!r}")
        if not all(states):
            raise InvalidPdf(f"The check box {name} has no checked appearance")
        chosen = states[0][0] if value == CHECKED else OFF_STATE
    field[pdf_name("/V")] = pdf_name(chosen)
    for (ref, widget), on_states in zip(widgets, states, strict=True):
        state = chosen if chosen in on_states else OFF_STATE
        if widget.get("/AS") != state:
            widget[pdf_name("/AS")] = pdf_name(state)
            access.mark(ref)
