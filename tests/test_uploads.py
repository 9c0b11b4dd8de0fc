"""Uploads: the type comes from the bytes; bombs, SVG, polyglots and oversize files are refused
with a clear French message; images lose their metadata."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image

from forum.errors import ValidationFailed
from forum.models import Member
from forum.services import attachments


def _store(world, name: str, data: bytes):
    member_id = world.ids.get("lea") or world.member("lea")
    with world.ctx.db.write() as session:
        return attachments.store_upload(session, session.get(Member, member_id), name, data)


def _refused(world, name: str, data: bytes) -> str:
    with pytest.raises(ValidationFailed) as caught:
        _store(world, name, data)
    return caught.value.errors["attachment"]


def _png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG that claims a huge canvas of zeroes (it decompresses to width × height bytes)."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    raw = zlib.compress(b"\x00" * (width + 1) * 64, 9)  # only the start: decoders must refuse before reading
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused(world):
    message = _refused(world, "bombe.png", _png_bomb(30_000, 30_000))
    assert "Image" in message


def test_svg_is_refused_whatever_its_name(world):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'
    assert "Type de fichier refusé" in _refused(world, "logo.png", svg)
    assert "Type de fichier refusé" in _refused(world, "logo.svg", svg)


def test_html_named_eml_is_refused(world):
    page = b"<html><body>From: x\nDate: y<script>alert(1)</script></body></html>"
    assert "Type de fichier refusé" in _refused(world, "courriel.eml", page)


def test_gif_javascript_polyglot_is_reencoded_and_loses_its_payload(world):
    image = Image.new("P", (4, 4))
    buffer = io.BytesIO()
    image.save(buffer, format="GIF")
    polyglot = buffer.getvalue() + b"*/=alert(document.domain);/*<script>alert(1)</script>"
    stored = _store(world, "image.gif", polyglot)
    assert stored.content_type == "image/png"
    assert b"alert" not in stored.data and b"<script>" not in stored.data


def test_truncated_image_is_refused(world):
    image = Image.new("RGB", (50, 50), (10, 20, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    assert "illisible" in _refused(world, "coupee.jpg", buffer.getvalue()[:200])


def test_oversized_and_empty_files_are_refused(world):
    assert "5 Mo" in _refused(world, "gros.pdf", b"%PDF-1.7\n" + b"0" * (attachments.MAX_BYTES + 1))
    assert "vide" in _refused(world, "vide.pdf", b"")


def test_png_metadata_text_chunks_are_dropped(world):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Nom Prénom, 12 rue des Lilas")
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 0, 0)).save(buffer, format="PNG", pnginfo=info)
    assert b"rue des Lilas" in buffer.getvalue()
    stored = _store(world, "capture.png", buffer.getvalue())
    assert b"rue des Lilas" not in stored.data
