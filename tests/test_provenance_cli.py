"""The command ``python -m moderation.check DRAFT.json [--dns FILE.json]``, run as a subprocess."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parent.parent
EML = Path(__file__).parent / "data" / "provenance" / "eml"
STATUS = "https://twitter.com/jdupont/status/176037155424911360"  # 2012-03-03 21:12 UTC


def run_check(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "moderation.check", *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, encoding="utf-8", timeout=60)


def write_draft(tmp_path: Path, draft: object, name: str = "brouillon.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(draft, ensure_ascii=False), encoding="utf-8")
    return path


def tweet_quote(**overrides: object) -> dict[str, object]:
    quote: dict[str, object] = {
        "kind": "tweet", "author": "Jean Dupont", "handle": "@jdupont", "said_at": "2012-03-03",
        "source_url": STATUS, "archive_url": f"https://web.archive.org/web/20120305081500/{STATUS}",
        "context": "Tweet publié pendant la campagne municipale de 2012.",
        "text": "Les militants de base ne comprennent rien à la stratégie.", "attachment": None,
    }
    quote.update(overrides)
    return quote


def parse(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    data = json.loads(result.stdout)
    assert list(data) == ["findings"]
    for finding in data["findings"]:
        assert {"code", "severity", "message"} <= set(finding)
        assert finding["severity"] in ("block", "hold", "info")
    return data["findings"]


def test_clean_draft_exits_0_with_info_findings(tmp_path: Path) -> None:
    draft = {"body": "Voici ce qu'il écrivait en 2012 :", "category": "debate", "quotes": [tweet_quote()]}
    result = run_check(str(write_draft(tmp_path, draft)))
    assert result.returncode == 0, result.stderr
    findings = parse(result)
    assert {f["code"] for f in findings} >= {"tweet_date_consistent", "tweet_handle_consistent", "archive_consistent"}
    assert all(f["severity"] == "info" for f in findings)
    assert all(f["quote_index"] == 0 for f in findings)
    assert "cohérente" in result.stdout  # ensure_ascii=False: French is printed as is


def test_held_draft_exits_1(tmp_path: Path) -> None:
    draft = {"body": "Jean Dupont\n@jdupont\n·\n3 mars 2012\nIls sont tous achetés.\n22:42 · 3 mars 2012",
             "category": "general", "quotes": []}
    result = run_check(str(write_draft(tmp_path, draft)))
    assert result.returncode == 1
    assert [(f["code"], f["severity"]) for f in parse(result)] == [("pasted_tweet", "hold")]


def test_blocked_draft_exits_1(tmp_path: Path) -> None:
    draft = {"body": "", "category": "general", "quotes": [tweet_quote(context="")]}
    result = run_check(str(write_draft(tmp_path, draft)))
    assert result.returncode == 1
    findings = parse(result)
    assert ("context_missing", "block") in {(f["code"], f["severity"]) for f in findings}
    assert next(f for f in findings if f["code"] == "context_missing")["field"] == "context"


def test_tweet_date_mismatch_exits_1(tmp_path: Path) -> None:
    draft = {"body": "", "category": "general", "quotes": [tweet_quote(said_at="2012-03-10", archive_url=None)]}
    result = run_check(str(write_draft(tmp_path, draft)))
    assert result.returncode == 1
    assert ("tweet_date_mismatch", "hold") in {(f["code"], f["severity"]) for f in parse(result)}


def test_internal_quote_with_quoted_text(tmp_path: Path) -> None:
    post = "Je le dis clairement : **nous ne ferons pas alliance** avec eux."
    quote = {"kind": "internal", "author": "Marie Martin", "context": "Fil sur les alliances.",
             "text": "nous ne ferons pas alliance avec eux", "quoted_text": [post]}
    result = run_check(str(write_draft(tmp_path, {"body": "", "category": "general", "quotes": [quote]})))
    assert result.returncode == 0, result.stdout
    assert [f["code"] for f in parse(result)] == ["internal_text_found"]
    quote["text"] = "nous ferons alliance avec eux"
    result = run_check(str(write_draft(tmp_path, {"body": "", "category": "general", "quotes": [quote]})))
    assert result.returncode == 1
    assert [(f["code"], f["severity"]) for f in parse(result)] == [("internal_text_not_found", "block")]


def test_attachment_path_is_relative_to_the_draft(tmp_path: Path) -> None:
    folder = tmp_path / "pieces"
    folder.mkdir()
    (folder / "courriel.eml").write_bytes((EML / "plain_utf8.eml").read_bytes())
    quote = {"kind": "email", "author": "Jean Dupont", "said_at": "2012-03-03T10:42",
             "context": "Courriel transmis au bureau.", "text": "Je ne veux pas d'elle sur la liste municipale",
             "attachment": "pieces/courriel.eml"}
    draft = write_draft(tmp_path, {"body": "", "category": "general", "quotes": [quote]})
    result = run_check(str(draft), cwd=ROOT)  # run from elsewhere than the draft's folder
    assert result.returncode == 0, result.stderr
    codes = {f["code"]: f["severity"] for f in parse(result)}
    assert codes["email_text_found"] == "info"
    assert codes["dkim_absent"] == "info"


@lru_cache(maxsize=1)
def key_pair() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode("ascii")


def _signed_draft(tmp_path: Path, tamper: bool = False) -> tuple[Path, Path]:
    pem, txt = key_pair()
    message = (EML / "plain_utf8.eml").read_bytes()
    data = dkim.sign(message, b"s2012", b"exemple.org", pem, include_headers=[b"from", b"subject", b"date"]) + message
    if tamper:
        data = data.replace(b"Elle n'a pas le niveau", b"Elle a tout le niveau")
    (tmp_path / "signe.eml").write_bytes(data)
    quote = {"kind": "email", "author": "Jean Dupont", "said_at": "2012-03-03",
             "context": "Courriel transmis au bureau.", "text": "Je ne veux pas d'elle sur la liste municipale",
             "attachment": "signe.eml"}
    draft = write_draft(tmp_path, {"body": "", "category": "general", "quotes": [quote]})
    dns = tmp_path / "dns.json"
    dns.write_text(json.dumps({"s2012._domainkey.exemple.org.": txt}), encoding="utf-8")
    return draft, dns


def test_dns_option_verifies_dkim(tmp_path: Path) -> None:
    draft, dns = _signed_draft(tmp_path)
    result = run_check(str(draft), "--dns", str(dns))
    assert result.returncode == 0, result.stdout + result.stderr
    assert {f["code"]: f["severity"] for f in parse(result)}["dkim_valid"] == "info"


def test_without_dns_option_dkim_is_not_checked(tmp_path: Path) -> None:
    draft, _ = _signed_draft(tmp_path)
    result = run_check(str(draft))
    assert result.returncode == 0
    assert {f["code"]: f["severity"] for f in parse(result)}["dkim_not_checked"] == "info"


def test_dns_option_catches_tampering(tmp_path: Path) -> None:
    draft, dns = _signed_draft(tmp_path, tamper=True)
    result = run_check(str(draft), "--dns", str(dns))
    assert result.returncode == 1
    assert {f["code"]: f["severity"] for f in parse(result)}["dkim_invalid"] == "hold"


def test_draft_on_standard_input() -> None:
    result = run_check("-", stdin=json.dumps({"body": "RT @jdupont: texte", "category": "general", "quotes": []}))
    assert result.returncode == 1
    assert [f["code"] for f in parse(result)] == ["pasted_tweet"]


def _unreadable(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 2, result.stdout
    assert result.stdout == ""
    assert result.stderr.startswith("erreur"), result.stderr
    # French typography puts no-break spaces before colons and inside guillemets.
    assert words in result.stderr.replace("\u00a0", " "), result.stderr


def test_missing_draft_file_exits_2(tmp_path: Path) -> None:
    _unreadable(run_check(str(tmp_path / "absent.json")), "introuvable")


def test_bad_json_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "casse.json"
    path.write_text('{"body": "texte", ', encoding="utf-8")
    _unreadable(run_check(str(path)), "JSON invalide")


def test_wrong_types_exit_2(tmp_path: Path) -> None:
    _unreadable(run_check(str(write_draft(tmp_path, ["pas", "un", "objet"]))), "objet JSON")
    _unreadable(run_check(str(write_draft(tmp_path, {"body": 12, "quotes": []}))), "« body »")
    _unreadable(run_check(str(write_draft(tmp_path, {"body": "", "quotes": {}}))), "« quotes »")
    _unreadable(run_check(str(write_draft(tmp_path, {"body": "", "category": "sport", "quotes": []}))),
                "« category »")
    _unreadable(run_check(str(write_draft(tmp_path, {"body": "", "quotes": [tweet_quote(text=["a"])]}))),
                "« text »")


def test_unknown_kind_exits_2(tmp_path: Path) -> None:
    draft = {"body": "", "category": "general", "quotes": [tweet_quote(kind="fax")]}
    _unreadable(run_check(str(write_draft(tmp_path, draft))), "type « fax » inconnu")


def test_missing_attachment_exits_2(tmp_path: Path) -> None:
    draft = {"body": "", "category": "general", "quotes": [tweet_quote(attachment="capture-absente.png")]}
    _unreadable(run_check(str(write_draft(tmp_path, draft))), "pièce jointe introuvable")


def test_bad_dns_file_exits_2(tmp_path: Path) -> None:
    draft = write_draft(tmp_path, {"body": "", "category": "general", "quotes": []})
    dns = tmp_path / "dns.json"
    dns.write_text('["pas une table"]', encoding="utf-8")
    _unreadable(run_check(str(draft), "--dns", str(dns)), "table DNS invalide")


def test_help_is_in_french() -> None:
    result = run_check("--help")
    assert result.returncode == 0
    assert "utilisation" in result.stdout
    assert "Vérifie la provenance des citations" in result.stdout
    assert "affiche cette aide" in result.stdout


def test_missing_argument_exits_2_in_french() -> None:
    result = run_check()
    assert result.returncode == 2
    assert "argument obligatoire manquant" in result.stderr
