"""Email quotes: the attached .eml against what is declared, and DKIM through an offline DNS map."""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from moderation.provenance import Attachment, Draft, Quote, check_draft

EML = Path(__file__).parent / "data" / "provenance" / "eml"


def eml(name: str) -> bytes:
    return (EML / name).read_bytes()


def email_quote(data: bytes, **overrides: object) -> Quote:
    fields: dict[str, object] = dict(
        kind="email",
        author="Jean Dupont",
        handle="",
        said_at="2012-03-03T10:42",
        context="Courriel envoyé au responsable de la liste, transmis par lui au bureau.",
        text="Je ne veux pas d'elle sur la liste municipale",
        attachment=Attachment("message.eml", data),
    )
    fields.update(overrides)
    return Quote(**fields)  # type: ignore[arg-type]


def run(quote: Quote, **kwargs: object) -> dict[str, str]:
    """code -> severity for one quote."""
    findings = check_draft(Draft(body="", quotes=[quote]), **kwargs)  # type: ignore[arg-type]
    return {f.code: f.severity for f in findings}


def holds(codes: dict[str, str]) -> set[str]:
    return {c for c, s in codes.items() if s in ("hold", "block")}


# --------------------------------------------------------------------------
# Parsing, sender, date, text
# --------------------------------------------------------------------------


def test_consistent_plain_message_gives_only_infos() -> None:
    codes = run(email_quote(eml("plain_utf8.eml")))
    assert codes["email_from_consistent"] == "info"
    assert codes["email_date_consistent"] == "info"
    assert codes["email_text_found"] == "info"
    assert codes["dkim_absent"] == "info"
    assert holds(codes) == set()


def test_sender_matched_by_address_or_handle() -> None:
    assert run(email_quote(eml("plain_utf8.eml"), author="", handle="jean.dupont@exemple.org"))[
        "email_from_consistent"] == "info"
    assert run(email_quote(eml("plain_utf8.eml"), author="DUPONT Jean"))["email_from_consistent"] == "info"


def test_sender_name_with_accents_from_encoded_header() -> None:
    quote = email_quote(eml("html_only.eml"), author="Helene Lefevre", said_at="2012-03-06",
                        text="l'union dès le premier tour n'est pas négociable")
    codes = run(quote)
    assert codes["email_from_consistent"] == "info"
    assert holds(codes) == set()


def test_sender_mismatch_holds() -> None:
    codes = run(email_quote(eml("plain_utf8.eml"), author="Sophie Bernard"))
    assert codes["email_from_mismatch"] == "hold"


def test_date_within_36_hours_is_consistent() -> None:
    # Sent 2012-03-03 10:42 Paris; 35 h later is still consistent.
    codes = run(email_quote(eml("plain_utf8.eml"), said_at="2012-03-04T21:42"))
    assert codes["email_date_consistent"] == "info"


def test_date_beyond_36_hours_holds() -> None:
    codes = run(email_quote(eml("plain_utf8.eml"), said_at="2012-03-04T22:43"))
    assert codes["email_date_mismatch"] == "hold"


def test_date_only_declared_means_the_paris_day() -> None:
    assert run(email_quote(eml("plain_utf8.eml"), said_at="2012-03-03"))["email_date_consistent"] == "info"
    assert run(email_quote(eml("plain_utf8.eml"), said_at="2012-03-10"))["email_date_mismatch"] == "hold"


def test_text_not_in_body_holds() -> None:
    codes = run(email_quote(eml("plain_utf8.eml"), text="Je veux qu'elle soit sur la liste municipale"))
    assert codes["email_text_not_found"] == "hold"


def test_text_found_across_line_wrapping() -> None:
    text = "trouve un prétexte pour la commission électorale. Elle n'a pas le niveau"
    assert run(email_quote(eml("plain_utf8.eml"), text=text))["email_text_found"] == "info"


def test_elisions_must_keep_the_order() -> None:
    in_order = "Je ne veux pas d'elle sur la liste municipale […] Elle n'a pas le niveau"
    assert run(email_quote(eml("plain_utf8.eml"), text=in_order))["email_text_found"] == "info"
    ascii_elision = "Je ne veux pas d'elle [...] tout le monde le sait"
    assert run(email_quote(eml("plain_utf8.eml"), text=ascii_elision))["email_text_found"] == "info"
    reversed_order = "Elle n'a pas le niveau […] Je ne veux pas d'elle sur la liste municipale"
    assert run(email_quote(eml("plain_utf8.eml"), text=reversed_order))["email_text_not_found"] == "hold"


def test_quoted_reply_prefixes_are_ignored() -> None:
    quote = email_quote(eml("reply_quoted.eml"), said_at="2012-03-03T12:01", author="Luc Moreau",
                        text="Je ne veux pas d'elle sur la liste municipale, trouve un prétexte "
                             "pour la commission électorale.")
    codes = run(quote)
    assert codes["email_text_found"] == "info"
    assert holds(codes) == set()


def test_multipart_quoted_printable() -> None:
    quote = email_quote(eml("multipart_qp.eml"), author="Sophie Bernard", said_at="2012-03-04",
                        text="Nous nous retrouverons après le congrès, quand les désignations seront "
                             "terminées et que chacun aura retrouvé son calme.")
    codes = run(quote)
    assert codes["email_text_found"] == "info"
    assert codes["email_from_consistent"] == "info"
    assert holds(codes) == set()


def test_base64_body() -> None:
    quote = email_quote(eml("base64.eml"), author="Luc Moreau", said_at="2012-03-05T18:05",
                        text="je ne veux pas être l’otage d’une guerre de tendances")
    codes = run(quote)
    assert codes["email_text_found"] == "info"
    assert holds(codes) == set()


def test_html_only_body_is_converted_to_text() -> None:
    quote = email_quote(eml("html_only.eml"), author="Hélène Lefèvre", said_at="2012-03-06T21:30",
                        text="Je le redis : l’union dès le premier tour n’est pas négociable. "
                             "Ceux qui pensent le contraire peuvent quitter la fédération.")
    codes = run(quote)
    assert codes["email_text_found"] == "info"
    assert holds(codes) == set()


def test_html_only_body_does_not_match_markup_or_style() -> None:
    quote = email_quote(eml("html_only.eml"), author="Hélène Lefèvre", said_at="2012-03-06",
                        text="color: #333")
    assert run(quote)["email_text_not_found"] == "hold"


def test_screenshot_instead_of_eml_is_shown_as_unverified() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    codes = run(email_quote(png, attachment=Attachment("capture.png", png)))
    assert codes["email_unverified"] == "info"
    assert "email_text_found" not in codes


def test_unreadable_eml_holds() -> None:
    codes = run(email_quote(b"", attachment=Attachment("message.eml", b"\x00\x01garbage without headers")))
    assert codes["email_unreadable"] == "hold"


def test_email_without_attachment_but_with_link_is_unverified_info() -> None:
    quote = email_quote(b"", attachment=None, source_url="https://exemple.org/lettre-ouverte")
    codes = run(quote)
    assert codes["email_unverified"] == "info"
    assert "source_missing" not in codes


# --------------------------------------------------------------------------
# DKIM, with keys made here and an offline DNS map
# --------------------------------------------------------------------------


@lru_cache(maxsize=4)
def rsa_key(name: str) -> tuple[bytes, str]:
    """(private key PEM, DNS TXT value) for a fresh 2048-bit key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode("ascii")


def signed(message: bytes, *, domain: str = "exemple.org", key: str = "a") -> bytes:
    pem, _ = rsa_key(key)
    signature = dkim.sign(message, b"tribune", domain.encode(), pem,
                          include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    return signature + message


def dns_for(domain: str = "exemple.org", key: str = "a") -> dict[str, str]:
    return {f"tribune._domainkey.{domain}.": rsa_key(key)[1]}


def test_dkim_valid_signature() -> None:
    codes = run(email_quote(signed(eml("plain_utf8.eml"))), dns=dns_for())
    assert codes["dkim_valid"] == "info"
    assert holds(codes) == set()


def test_dkim_dns_name_without_trailing_dot_and_callable_lookup() -> None:
    data = signed(eml("plain_utf8.eml"))
    table = {"tribune._domainkey.exemple.org": rsa_key("a")[1]}
    assert run(email_quote(data), dns=table)["dkim_valid"] == "info"

    def lookup(name: bytes, timeout: float = 5) -> bytes | None:
        return rsa_key("a")[1].encode() if name == b"tribune._domainkey.exemple.org." else None

    assert run(email_quote(data), dns=lookup)["dkim_valid"] == "info"


def test_dkim_body_tampered_holds() -> None:
    data = signed(eml("plain_utf8.eml")).replace(b"tout le monde le", b"personne ne le")
    codes = run(email_quote(data), dns=dns_for())
    assert codes["dkim_invalid"] == "hold"
    assert codes["email_text_found"] == "info"  # the quote itself is still there


def test_dkim_header_tampered_holds() -> None:
    data = signed(eml("plain_utf8.eml")).replace(b"Subject: Liste municipale", b"Subject: Liste des traitres")
    assert run(email_quote(data), dns=dns_for())["dkim_invalid"] == "hold"


def test_dkim_wrong_key_holds() -> None:
    data = signed(eml("plain_utf8.eml"), key="a")
    codes = run(email_quote(data), dns={"tribune._domainkey.exemple.org.": rsa_key("b")[1]})
    assert codes["dkim_invalid"] == "hold"


def test_dkim_absent_is_info() -> None:
    codes = run(email_quote(eml("plain_utf8.eml")), dns=dns_for())
    assert codes["dkim_absent"] == "info"
    assert not any(c.startswith("dkim_") and c != "dkim_absent" for c in codes)


def test_dkim_not_checked_without_dns() -> None:
    codes = run(email_quote(signed(eml("plain_utf8.eml"))))
    assert codes["dkim_not_checked"] == "info"
    assert holds(codes) == set()


def test_dkim_key_missing_from_dns_is_info_not_tampering() -> None:
    codes = run(email_quote(signed(eml("plain_utf8.eml"))), dns={})
    assert codes["dkim_key_unavailable"] == "info"
    assert holds(codes) == set()


def test_dkim_unreadable_key_record_is_unavailable_not_tampering() -> None:
    codes = run(email_quote(signed(eml("plain_utf8.eml"))),
                dns={"tribune._domainkey.exemple.org.": "v=DKIM1; k=rsa; p=pas-une-cle"})
    assert codes["dkim_key_unavailable"] == "info"
    assert holds(codes) == set()


def test_dkim_signed_by_another_domain_is_only_info() -> None:
    data = signed(eml("plain_utf8.eml"), domain="liste-diffusion.example")
    codes = run(email_quote(data), dns=dns_for("liste-diffusion.example"))
    assert codes["dkim_valid_other_domain"] == "info"
    assert "dkim_valid" not in codes


def test_dkim_valid_on_multipart_message() -> None:
    quote = email_quote(signed(eml("multipart_qp.eml")), author="Sophie Bernard", said_at="2012-03-04",
                        text="La réunion de jeudi est annulée.")
    codes = run(quote, dns=dns_for())
    assert codes["dkim_valid"] == "info"
    assert codes["email_text_found"] == "info"
    assert holds(codes) == set()


class _ExpiringDKIM(dkim.DKIM):
    """Signs with t= and x= in 2012, as a provider setting a one-week expiry would have."""

    def gen_header(self, fields, include_headers, canon_policy, header_name, pk, *args):  # type: ignore[no-untyped-def]
        fields = [(b"t", b"1330767720") if name == b"t" else (name, value) for name, value in fields]
        fields.insert(-2, (b"x", b"1331372520"))
        return super().gen_header(fields, include_headers, canon_policy, header_name, pk, *args)


def signed_with_expiry(message: bytes) -> bytes:
    pem, _ = rsa_key("a")
    signer = _ExpiringDKIM(message)
    return signer.sign(b"tribune", b"exemple.org", pem, include_headers=[b"from", b"subject", b"date"]) + message


def test_dkim_expired_signature_is_still_verified() -> None:
    data = signed_with_expiry(eml("plain_utf8.eml"))
    assert not dkim.verify(data, dnsfunc=lambda name, timeout=5: rsa_key("a")[1].encode())  # dkimpy alone refuses it
    codes = run(email_quote(data), dns=dns_for())
    assert codes["dkim_valid"] == "info"
    assert codes["dkim_expired"] == "info"
    assert holds(codes) == set()


def test_dkim_expired_and_tampered_holds() -> None:
    data = signed_with_expiry(eml("plain_utf8.eml")).replace(b"tout le monde", b"personne ne")
    codes = run(email_quote(data), dns=dns_for())
    assert codes["dkim_invalid"] == "hold"


def test_dkim_adding_an_expiry_to_a_signature_does_not_hide_tampering() -> None:
    data = signed(eml("plain_utf8.eml")).replace(b"tout le monde", b"personne ne")
    data = data.replace(b"DKIM-Signature: v=1;", b"DKIM-Signature: v=1; x=1000;", 1)
    assert b"x=1000;" in data
    assert run(email_quote(data), dns=dns_for())["dkim_invalid"] == "hold"


def test_dkim_dns_failure_is_unavailable_not_tampering() -> None:
    def broken(name: bytes, timeout: float = 5) -> bytes:
        raise TimeoutError("pas de réseau")

    codes = run(email_quote(signed(eml("plain_utf8.eml"))), dns=broken)
    assert codes["dkim_key_unavailable"] == "info"
    assert holds(codes) == set()
