"""Uploaded files: type from the bytes, images re-encoded without metadata, .eml kept as sent."""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

from sqlalchemy.orm import Session

from forum.errors import Forbidden, NotFound, ValidationFailed
from forum.models import Attachment, Member

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded

IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
_EML_HEADER = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]", re.M)
_EML_NEEDS = (b"from:", b"date:")


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str


def sniff(data: bytes) -> Sniffed | None:
    """The file's real type from its first bytes; None when it is not an accepted type."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image/png", "png")
    if data.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg", "jpg")
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("image/gif", "gif")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Sniffed("image/webp", "webp")
    if data.startswith(b"%PDF-"):
        return Sniffed("application/pdf", "pdf")
    head = data[:8192]
    lowered = head.lower()
    if (
        _EML_HEADER.match(head)
        and all(re.search(rb"^" + re.escape(name), lowered, re.M) for name in _EML_NEEDS)
        and b"<html" not in lowered[:512]
        and b"<svg" not in lowered
    ):
        return Sniffed("message/rfc822", "eml")
    return None


def _reencode_image(data: bytes, content_type: str) -> bytes:
    """Decode and re-encode: drops EXIF (GPS included), ICC and comments; applies the orientation."""
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                if opened.width * opened.height > MAX_PIXELS:
                    raise ValidationFailed({"attachment": "Image trop grande (40 mégapixels au plus)."})
                opened.load()
                image: Image.Image = ImageOps.exif_transpose(opened)
                fmt = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "PNG", "image/webp": "PNG"}[content_type]
                if fmt == "JPEG" and image.mode not in ("RGB", "L"):
                    image = image.convert("RGB")
                out = io.BytesIO()
                image.save(out, format=fmt, optimize=True)
                return out.getvalue()
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationFailed({"attachment": "Image refusée : dimensions démesurées (bombe de décompression)."}) from None
    except Exception:  # noqa: BLE001 - any decoder failure means the file is not the image it claims
        raise ValidationFailed({"attachment": "Image illisible ou corrompue."}) from None


def store_upload(session: Session, uploader: Member, filename: str, data: bytes) -> Attachment:
    """Check and store an uploaded file; returns the row (its sha256 is of the stored bytes)."""
    if not data:
        raise ValidationFailed({"attachment": "Le fichier est vide."})
    if len(data) > MAX_BYTES:
        raise ValidationFailed({"attachment": "Fichier trop volumineux (5 Mo au plus)."})
    kind = sniff(data)
    if kind is None:
        raise ValidationFailed({
            "attachment": "Type de fichier refusé : joignez une image (PNG, JPEG, GIF, WebP), un PDF ou un courriel brut (.eml)."
        })
    stored = data
    content_type = kind.content_type
    extension = kind.extension
    if content_type.startswith("image/"):
        stored = _reencode_image(data, content_type)
        content_type = "image/jpeg" if content_type == "image/jpeg" else "image/png"
        extension = "jpg" if content_type == "image/jpeg" else "png"
    base = re.sub(r"[^\w.-]+", "_", filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip("._")[:100] or "piece"
    base = base.rsplit(".", 1)[0] if "." in base else base
    attachment = Attachment(
        uploader_id=uploader.id,
        sha256=hashlib.sha256(stored).hexdigest(),
        content_type=content_type,
        size=len(stored),
        filename=f"{base}.{extension}",
        data=stored,
    )
    session.add(attachment)
    session.flush()
    return attachment


def owned_attachment(session: Session, uploader: Member, attachment_id: int) -> Attachment:
    """An attachment the member uploaded: nobody can attach somebody else's file by its id."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound()
    if attachment.uploader_id != uploader.id:
        raise Forbidden("Cette pièce jointe ne vous appartient pas.")
    return attachment
