"""Images in a debate category: each needs a description (alt text) and a source.

A Markdown image ``![description](file.png "Source : …")`` gets its source from
its title, or from a caption line right after it ("Source : …", "Crédit : …",
"Via …"); an image attached to the body gets them from its Attachment fields;
an image attached to a quote needs the quote's source or archive link.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .model import Attachment, Finding, Quote
from .text import fr, guillemets

_MD_IMAGE = re.compile(
    r"!\[(?P<alt>(?:[^\]\\]|\\.)*)\]"
    r"(?:\(\s*<?(?P<src>[^)\s>]*)>?(?:\s+(?P<title>\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
    r"|\[(?P<ref>[^\]]*)\])"
)
_MD_REF_DEF = re.compile(
    r"^[ ]{0,3}\[(?P<ref>[^\]]+)\]:\s*<?(?P<src>\S+?)>?(?:\s+(?P<title>\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*$",
    re.M,
)
_HTML_IMG = re.compile(r"<img\b[^>]*>", re.I)
_HTML_ATTR = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_CAPTION = re.compile(
    r"^[\s>*_]*(?:(?:sources?|crédits?|credits?|photo|image)\s*:\s*\S|via\s+\S|©|\(c\)\s*\S)", re.I)
_SOURCE_IN_TEXT = re.compile(r"\b(?:sources?|crédits?|credits?)\s*:\s*\S|©", re.I)
# Alt texts that describe nothing: a file name, "image", "capture"…
_EMPTY_ALT = re.compile(
    r"^(?:image|img|photo|picture|pic|capture(?: d'écran| d’écran)?|screenshot|screen|illustration"
    r"|sans titre|untitled|\S+\.(?:png|jpe?g|gif|webp|avif|heic|bmp|svg)|img[_-]?\d+|dsc[_-]?\d+|\d+)$",
    re.I,
)
_IMAGE_EXT = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".heic", ".heif", ".bmp", ".tif",
              ".tiff", ".svg")
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")


def is_image(attachment: Attachment) -> bool:
    """Whether an attachment is a picture (by type, name or first bytes)."""
    if attachment.content_type and attachment.content_type.startswith("image/"):
        return True
    if attachment.filename.lower().endswith(_IMAGE_EXT):
        return True
    head = attachment.data[:12]
    return head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


@dataclass(frozen=True)
class BodyImage:
    """An image found in the Markdown body."""

    line: int
    src: str
    alt: str
    title: str
    caption: bool


def _strip_quotes(title: str | None) -> str:
    return (title or "")[1:-1].strip() if title else ""


def find_images(body: str) -> list[BodyImage]:
    """Markdown (inline and reference) and HTML images of a body, with what could be their source."""
    if "![" not in body and "<img" not in body.lower():
        return []  # the common case: no picture at all
    refs = {m.group("ref").strip().lower(): (m.group("src"), _strip_quotes(m.group("title")))
            for m in _MD_REF_DEF.finditer(body)}
    lines = body.splitlines()
    images: list[BodyImage] = []
    for number, line in enumerate(lines, start=1):
        if "![" not in line and "<img" not in line.lower():
            continue
        found: list[tuple[str, str, str, int]] = []  # src, alt, title, end column
        for m in _MD_IMAGE.finditer(line):
            alt = m.group("alt").replace("\\]", "]").strip()
            if m.group("ref") is not None:
                key = (m.group("ref") or m.group("alt")).strip().lower()
                src, title = refs.get(key, ("", ""))
            else:
                src, title = m.group("src") or "", _strip_quotes(m.group("title"))
            found.append((src, alt, title, m.end()))
        for m in _HTML_IMG.finditer(line):
            attrs = {a.lower(): (b or c or d or "") for a, b, c, d in _HTML_ATTR.findall(m.group())}
            found.append((attrs.get("src", ""), attrs.get("alt", "").strip(),
                          attrs.get("title", "").strip(), m.end()))
        for src, alt, title, end in found:
            after = line[end:]
            nxt = next((x for x in lines[number:number + 2] if x.strip()), "")
            caption = bool(_SOURCE_IN_TEXT.search(after) or _CAPTION.match(after.strip() or "-")
                           or _CAPTION.match(nxt) or _SOURCE_IN_TEXT.search(alt))
            images.append(BodyImage(number, src, alt, title, caption))
    return images


def _attachment_for(src: str, attachments: Sequence[Attachment]) -> Attachment | None:
    name = src.rsplit("/", 1)[-1].split("?", 1)[0]
    return next((a for a in attachments if name and a.filename == name), None)


def check_body_images(body: str, attachments: Sequence[Attachment]) -> list[Finding]:
    """Every image of a debate post needs a description and a source."""
    findings: list[Finding] = []
    referenced: set[str] = set()
    for image in find_images(body):
        attached = _attachment_for(image.src, attachments)
        if attached is not None:
            referenced.add(attached.filename)
        alt = image.alt or (attached.description.strip() if attached else "")
        has_source = bool(image.title or image.caption or (attached and attached.source.strip()))
        label = guillemets(image.src.rsplit("/", 1)[-1] or "image")
        findings += _image_findings(alt, has_source, fr("l’image {label} (ligne {line})",
                                                        label=label, line=image.line))
    for attached in attachments:
        if attached.filename in referenced or not is_image(attached):
            continue
        findings += _image_findings(attached.description.strip(), bool(attached.source.strip()),
                                    fr("l’image jointe {label}", label=guillemets(attached.filename)))
    return findings


def _image_findings(alt: str, has_source: bool, what: str) -> list[Finding]:
    out = []
    if not alt or _EMPTY_ALT.match(alt):
        out.append(Finding(
            "image_description_missing", "hold",
            fr("Décrivez {what} : dans un débat, chaque image a une description "
               "(texte alternatif, ![description](…)) pour qui ne la voit pas.", what=what),
        ))
    if not has_source:
        out.append(Finding(
            "image_source_missing", "hold",
            fr("Indiquez la source de {what} : ajoutez une ligne « Source : … » sous l’image, "
               "ou un titre ![description](image.png \"Source : …\").", what=what),
        ))
    return out


def check_quote_image(quote: Quote, index: int) -> list[Finding]:
    """In a debate, a screenshot attached to a quote must come with the link it was taken from."""
    attachment = quote.attachment
    if attachment is None or not is_image(attachment):
        return []
    if quote.source_url.strip() or quote.archive_url.strip() or attachment.source.strip():
        return []
    return [Finding(
        "image_source_missing", "hold",
        fr("Une capture d’écran ne suffit pas : indiquez le lien de la page d’où elle vient "
           "(ou son archive)."),
        index, "source_url",
    )]
