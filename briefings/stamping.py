"""Stamp a PDF with its TLP marking and the name of the person it was issued to.

TLP:AMBER, TLP:AMBER+STRICT and TLP:RED attachments are never served as stored: each
download is a copy with "TLP:<MARKING> · Issued to <name> (<email>) · <date>" in a band at
the top and the bottom of every page, and the marking in the document's metadata. A copy
that leaks says whose it was, which is what keeps a limited audience limited.

Built with pypdf alone: the stamp is a small content stream using the standard Helvetica
font (every PDF reader has it, nothing is embedded) on an overlay page, merged onto each
page. Merging wraps the page's own drawing in a saved graphics state, so a page that
leaves its coordinate system transformed cannot move or hide the stamp.
"""

from collections.abc import Iterable
from datetime import date
from io import BytesIO

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, TextStringObject

from briefings.models import TLP

# The markings whose copies are stamped (TLP 2.0: sharing limited to named people or
# organisations). CLEAR and GREEN may be passed on, so they are served as stored.
STAMPED_MARKINGS = frozenset({TLP.AMBER, TLP.AMBER_STRICT, TLP.RED})

# TLP 2.0 colours (FIRST): the label in its colour on black.
_LABEL_RGB = {
    TLP.AMBER: (1.0, 0.753, 0.0),  # #FFC000
    TLP.AMBER_STRICT: (1.0, 0.753, 0.0),
    TLP.RED: (1.0, 0.169, 0.169),  # #FF2B2B
}
_FONT = "/FTLPStamp"
_BAND = 14.0  # points: the height of the black band at the top and the bottom
_MARGIN = 12.0
_MAX_SIZE = 8.0
_MIN_SIZE = 4.0
# Helvetica's mean advance is about half an em; 0.6 errs wide, so a long name shrinks the
# type rather than running off the page.
_EM_ESTIMATE = 0.6


class StampError(Exception):
    """The PDF cannot be read or written, so no stamped copy can be made."""


def must_stamp(tlp: str) -> bool:
    return tlp in STAMPED_MARKINGS


def stamp_text(*, tlp: str, name: str, email: str, on: date) -> str:
    # Not translated on purpose: the marking's wording is FIRST's, one stamp reads the same
    # wherever the copy turns up, and the standard font covers only Western European text.
    marking = f"TLP:{tlp}"
    who = f"{name} ({email})" if email and email != name else name
    return f"{marking} · Issued to {who} · {on.isoformat()}"


def _encode(text: str) -> bytes:
    # The standard fonts speak WinAnsi (cp1252); a letter outside it becomes "?" rather
    # than failing the download. The e-mail address and the date always survive.
    return text.encode("cp1252", errors="replace")


def _hex(data: bytes) -> bytes:
    # A hex string needs no escaping of brackets or backslashes in names.
    return b"<" + data.hex().encode("ascii") + b">"


def _number(value: float) -> bytes:
    return f"{value:.2f}".encode("ascii")


def _band_ops(
    *, left: float, bottom: float, width: float, label: bytes, rest: bytes, rgb, size: float
) -> list[bytes]:
    n = _number
    text_y = bottom + (_BAND - size) / 2 + size * 0.2
    return [
        b"q 0 g",
        b" ".join([n(left), n(bottom), n(width), n(_BAND), b"re f"]),
        b"BT",
        _FONT.encode("ascii") + b" " + n(size) + b" Tf",
        b" ".join([n(left + _MARGIN), n(text_y), b"Td"]),
        b" ".join([n(c) for c in rgb]) + b" rg",
        _hex(label) + b" Tj",
        b"1 g",
        _hex(rest) + b" Tj",
        b"ET Q",
    ]


def _overlay(page: PageObject, *, label: str, rest: str, rgb) -> PageObject:
    box = page.cropbox
    left, bottom = float(box.left), float(box.bottom)
    width, height = float(box.width), float(box.height)
    label_bytes, rest_bytes = _encode(label), _encode(rest)
    characters = len(label_bytes) + len(rest_bytes)
    size = (width - 2 * _MARGIN) / max(characters * _EM_ESTIMATE, 1)
    size = max(_MIN_SIZE, min(_MAX_SIZE, size))
    ops: list[bytes] = []
    for band_bottom in (bottom + height - _BAND, bottom):
        ops += _band_ops(
            left=left,
            bottom=band_bottom,
            width=width,
            label=label_bytes,
            rest=rest_bytes,
            rgb=rgb,
            size=size,
        )
    stream = DecodedStreamObject()
    stream.set_data(b"\n".join(ops))
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    overlay = PageObject.create_blank_page(
        width=float(page.mediabox.right), height=float(page.mediabox.top)
    )
    overlay[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject(_FONT): font})}
    )
    overlay[NameObject("/Contents")] = stream
    return overlay


def stamp_pdf(
    source: Iterable[bytes] | bytes, *, tlp: str, name: str, email: str, on: date
) -> bytes:
    """Return a copy of the PDF with the issue stamp on every page and the marking in its
    metadata. Raise StampError when the PDF cannot be read (encrypted with a password,
    broken): an AMBER or RED file is then not served at all, never served unstamped."""
    data = source if isinstance(source, bytes) else b"".join(source)
    text = stamp_text(tlp=tlp, name=name, email=email, on=on)
    label = f"TLP:{tlp}"
    rest = text[len(label) :]
    rgb = _LABEL_RGB.get(tlp, (1.0, 1.0, 1.0))
    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise StampError("The PDF is protected with a password.")
        writer = PdfWriter(clone_from=reader)
        if not writer.pages:
            raise StampError("The PDF has no pages.")
        for page in writer.pages:
            # Stamps go on the page as seen, so a landscape (rotated) page gets its bands
            # along the edges the reader sees as top and bottom.
            if page.rotation:
                page.transfer_rotation_to_content()
            page.merge_page(_overlay(page, label=label, rest=rest, rgb=rgb))
        metadata = {key: value for key, value in (reader.metadata or {}).items()}
        metadata.update(
            {
                "/TLP": TextStringObject(label),
                "/Subject": TextStringObject(text),
                "/Keywords": TextStringObject(label),
                "/IssuedTo": TextStringObject(f"{name} <{email}>" if email else name),
            }
        )
        writer.add_metadata(metadata)
        out = BytesIO()
        writer.write(out)
    except StampError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
        raise StampError(str(error)) from error
    return out.getvalue()
