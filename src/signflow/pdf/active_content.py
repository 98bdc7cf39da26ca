"""Active content: the parts of a PDF that make a viewer run code, start programs, send
or fetch data, or act by themselves when the document is opened.

Found (and, by the default policy, removed) during intake, in the sandbox worker (see
probe.py). What counts, named as in the PDF:

- `/JavaScript`: document scripts (the `/Names /JavaScript` tree) and JavaScript actions;
- `/OpenAction`: an action run when the document opens (a plain destination, "open at
  page N", and a `/GoTo` action are kept);
- `/AA`: additional actions, triggered by events rather than a click (page open and
  close, field keystroke, format, validate and calculate scripts, mouse over...),
  on the document, pages, annotations and form fields; all of them are removed;
- actions of the other kinds wherever a click runs them (links, form buttons, bookmarks):
  `/Launch`, `/SubmitForm`, `/ImportData`, `/GoToR`, `/GoToE`, `/Rendition`, `/Sound`,
  `/Movie`, `/RichMediaExecute` and any kind not listed as kept below;
- `/URI` links to anything but http, https and mailto (`javascript:`, `file:`, `smb:`);
- `/XFA`: XML form templates, which carry their own scripts.

Kept, because they only move the reader inside the document or to a link they click
(viewers ask before opening it): `/GoTo`, `/URI` (http, https, mailto), `/Named`,
`/Thread`, `/SetOCGState`, `/Hide`, `/ResetForm`, `/Trans`, `/GoTo3DView`.

Removal edits the parsed objects in place; the caller then writes only what is still
reachable from the catalog into a new file, so nothing removed stays in the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pyhanko.pdf_utils import generic

KEPT_ACTIONS = frozenset(
    {
        "/GoTo",
        "/URI",
        "/Named",
        "/Thread",
        "/SetOCGState",
        "/Hide",
        "/ResetForm",
        "/Trans",
        "/GoTo3DView",
    }
)
KEPT_URI_SCHEMES = frozenset({"http", "https", "mailto"})
# An action chain (/Next) longer than this is treated as hostile as a whole.
MAX_CHAIN = 256
UNKNOWN_ACTION = "/Unknown"  # an action without a kind: nothing says it is harmless
UNSAFE_URI = "/URI (unsafe scheme)"


@dataclass
class _Scan:
    strip: bool
    found: set[str] = field(default_factory=set)
    seen: set[tuple[int, int]] = field(default_factory=set)


def find_active_content(catalog: generic.DictionaryObject) -> tuple[str, ...]:
    """The kinds of active content in the document, sorted; empty when there is none."""
    return _scan(catalog, strip=False)


def remove_active_content(catalog: generic.DictionaryObject) -> tuple[str, ...]:
    """Remove every active part from the parsed document (in place); returns what was found."""
    return _scan(catalog, strip=True)


def _scan(catalog: generic.DictionaryObject, *, strip: bool) -> tuple[str, ...]:
    scan = _Scan(strip=strip)
    _document_scripts(catalog, scan)
    _xfa(catalog, scan)
    _open_action(catalog, scan)
    _walk(catalog, scan)
    return tuple(sorted(scan.found))


def _resolve(obj: generic.PdfObject) -> generic.PdfObject:
    value: generic.PdfObject = obj.get_object()  # type: ignore[no-untyped-call]
    return value


def _entry(container: generic.DictionaryObject, key: str) -> generic.PdfObject | None:
    return _resolve(container.raw_get(key)) if key in container else None


def _document_scripts(catalog: generic.DictionaryObject, scan: _Scan) -> None:
    names = _entry(catalog, "/Names")
    if isinstance(names, generic.DictionaryObject) and "/JavaScript" in names:
        scan.found.add("/JavaScript")
        if scan.strip:
            del names["/JavaScript"]


def _xfa(catalog: generic.DictionaryObject, scan: _Scan) -> None:
    form = _entry(catalog, "/AcroForm")
    if isinstance(form, generic.DictionaryObject) and "/XFA" in form:
        scan.found.add("/XFA")
        if scan.strip:
            del form["/XFA"]
            # Without its template, a viewer must show the PDF's own pages.
            catalog.pop("/NeedsRendering", None)


def _open_action(catalog: generic.DictionaryObject, scan: _Scan) -> None:
    action = _entry(catalog, "/OpenAction")
    if not isinstance(action, generic.DictionaryObject):
        return  # absent, or a destination: "open at this page" runs nothing
    kinds = _chain_kinds(action)
    if kinds <= {"/GoTo"}:
        return
    scan.found.add("/OpenAction")
    scan.found.update(kinds - KEPT_ACTIONS)
    if scan.strip:
        del catalog["/OpenAction"]


def _walk(catalog: generic.DictionaryObject, scan: _Scan) -> None:
    """Every dictionary reachable from the catalog, each indirect object once."""
    pending: list[generic.PdfObject] = [catalog]
    while pending:
        obj = pending.pop()
        if isinstance(obj, generic.IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in scan.seen:
                continue
            scan.seen.add(key)
            obj = _resolve(obj)
        if isinstance(obj, generic.DictionaryObject):
            _inspect(obj, scan)
            pending.extend(obj.raw_get(key) for key in obj if key != "/Parent")
        elif isinstance(obj, generic.ArrayObject):
            pending.extend(obj)


def _inspect(dictionary: generic.DictionaryObject, scan: _Scan) -> None:
    if "/AA" in dictionary:
        scan.found.add("/AA")
        triggers = _resolve(dictionary.raw_get("/AA"))
        if isinstance(triggers, generic.DictionaryObject):
            for trigger in triggers:
                action = _resolve(triggers.raw_get(trigger))
                if isinstance(action, generic.DictionaryObject):
                    scan.found.update(_chain_kinds(action) - KEPT_ACTIONS)
        if scan.strip:
            del dictionary["/AA"]
    if "/A" in dictionary:
        action = _resolve(dictionary.raw_get("/A"))
        if isinstance(action, generic.DictionaryObject):
            active = _chain_kinds(action) - KEPT_ACTIONS
            if active:
                scan.found.update(active)
                if scan.strip:
                    del dictionary["/A"]


def _chain_kinds(action: generic.DictionaryObject) -> set[str]:
    """The kinds of an action and of every action chained after it (/Next); a URI to a
    scheme other than http, https and mailto adds UNSAFE_URI, which is not kept."""
    kinds: set[str] = set()
    seen: set[tuple[int, int]] = set()
    pending: list[generic.PdfObject] = [action]
    count = 0
    while pending:
        obj = pending.pop()
        count += 1
        if count > MAX_CHAIN:
            kinds.add(UNKNOWN_ACTION)
            break
        if isinstance(obj, generic.IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = _resolve(obj)
        if isinstance(obj, generic.ArrayObject):
            pending.extend(obj)
            continue
        if not isinstance(obj, generic.DictionaryObject):
            continue
        kind = _entry(obj, "/S")
        name = str(kind) if isinstance(kind, generic.NameObject) else UNKNOWN_ACTION
        kinds.add(name)
        if name == "/URI" and not _safe_uri(_entry(obj, "/URI")):
            kinds.add(UNSAFE_URI)
        if "/JS" in obj:  # a script, whatever the action claims to be (/Rendition has one)
            kinds.add("/JavaScript")
        if "/Next" in obj:
            pending.append(obj.raw_get("/Next"))
    return kinds


def _safe_uri(value: generic.PdfObject | None) -> bool:
    if isinstance(value, bytes):
        text = bytes(value).decode("latin-1")
    elif isinstance(value, str):
        text = str(value)
    else:
        return False
    return urlsplit(text.strip()).scheme.lower() in KEPT_URI_SCHEMES
