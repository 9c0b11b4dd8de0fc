"""Command: ``python -m moderation.check DRAFT.json [--dns FILE.json]``.

Runs the quote-provenance checker on a draft stored as JSON, without the web:

    {"body": "<markdown>", "category": "debate" | "general",
     "quotes": [{"kind", "author", "handle", "said_at", "source_url", "archive_url",
                 "context", "text", "attachment", "quoted_text"}],
     "attachments": [{"path", "description", "source"}]}

A quote's ``attachment`` is a file path relative to the draft file (or an
object ``{"path": …}``); ``quoted_text`` (string or list of strings, the
current revision first) carries an internal quote's quoted post; the optional
``attachments`` are images attached to the body itself.

Prints ``{"findings": [{"code", "severity", "message", "quote_index", "field"}]}``
and exits 0 when nothing is held or blocked, 1 otherwise, 2 when the draft
cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from moderation.provenance import CATEGORIES, KINDS, Attachment, Draft, Quote, check_draft, is_held
from moderation.provenance.text import fr

EXIT_OK, EXIT_HELD, EXIT_UNREADABLE = 0, 1, 2
_STRING_FIELDS = ("author", "handle", "said_at", "source_url", "archive_url", "context", "text")


class DraftError(Exception):
    """The draft (or the DNS file) cannot be read; the message is French, for the user."""


class _FrenchParser(argparse.ArgumentParser):
    """argparse speaking French, exiting 2 with a French message on bad arguments."""

    def format_usage(self) -> str:
        return super().format_usage().replace("usage:", "utilisation :", 1)

    def format_help(self) -> str:
        return super().format_help().replace("usage:", "utilisation :", 1)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        translated = (message.replace("the following arguments are required:", "argument obligatoire manquant :")
                      .replace("unrecognized arguments:", "arguments inconnus :")
                      .replace("expected one argument", "une valeur est attendue"))
        self.exit(EXIT_UNREADABLE, fr(f"{self.prog} : erreur : {translated}\n"))


def _parser() -> argparse.ArgumentParser:
    parser = _FrenchParser(
        prog="python -m moderation.check",
        description=fr("Vérifie la provenance des citations d’un brouillon de message (sans le site web)."),
        epilog=fr("Codes de sortie : 0 si rien n’est retenu ni refusé, 1 si un élément est retenu "
                  "pour modération ou refusé, 2 si le brouillon est illisible."),
        add_help=False,
    )
    parser._positionals.title = "arguments"
    parser._optionals.title = "options"
    parser.add_argument("draft", metavar="BROUILLON.json",
                        help=fr("brouillon au format JSON (body, category, quotes) ; « - » pour l’entrée standard"))
    parser.add_argument("--dns", metavar="FICHIER.json",
                        help=fr("table DNS hors ligne pour vérifier les signatures DKIM : "
                                "{\"sel._domainkey.exemple.org.\": \"v=DKIM1; k=rsa; p=…\"}"))
    parser.add_argument("-h", "--help", action="help", help="affiche cette aide et quitte")
    return parser


def _read_json(path: str, what: str) -> object:
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except FileNotFoundError:
        raise DraftError(f"{what} introuvable : {path}") from None
    except OSError as exc:
        raise DraftError(f"{what} illisible : {path} ({exc.strerror or exc})") from None
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise DraftError(f"{what} illisible : {path} n’est pas encodé en UTF-8") from None
    except json.JSONDecodeError as exc:
        raise DraftError(
            f"{what} illisible : JSON invalide ({exc.msg}, ligne {exc.lineno}, colonne {exc.colno})") from None


def _read_attachment(value: object, base: Path, where: str) -> Attachment:
    content_type = description = source = None
    if isinstance(value, dict):
        path = value.get("path")
        content_type, description, source = value.get("content_type"), value.get("description"), value.get("source")
        for name, item in (("content_type", content_type), ("description", description), ("source", source)):
            if item is not None and not isinstance(item, str):
                raise DraftError(f"{where} : « {name} » doit être une chaîne de caractères")
    else:
        path = value
    if not isinstance(path, str) or not path.strip():
        raise DraftError(f"{where} : la pièce jointe doit être un chemin de fichier")
    file = base / path
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise DraftError(f"{where} : pièce jointe introuvable : {path}") from None
    except OSError as exc:
        raise DraftError(f"{where} : pièce jointe illisible : {path} ({exc.strerror or exc})") from None
    return Attachment(filename=file.name, data=data, content_type=content_type,
                      description=description or "", source=source or "")


def _read_quote(item: object, number: int, base: Path) -> Quote:
    where = f"citation n°\u00a0{number}"
    if not isinstance(item, dict):
        raise DraftError(f"{where} : un objet JSON est attendu")
    kind = item.get("kind")
    if not isinstance(kind, str):
        raise DraftError(f"{where} : « kind » manquant (attendu : {', '.join(KINDS)})")
    if kind not in KINDS:
        raise DraftError(f"{where} : type « {kind} » inconnu (attendu : {', '.join(KINDS)})")
    fields: dict[str, str] = {}
    for name in _STRING_FIELDS:
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            raise DraftError(f"{where} : « {name} » doit être une chaîne de caractères")
        fields[name] = value or ""
    quoted_text = item.get("quoted_text")
    if quoted_text is not None and not isinstance(quoted_text, str) and not (
            isinstance(quoted_text, list) and all(isinstance(t, str) for t in quoted_text)):
        raise DraftError(f"{where} : « quoted_text » doit être un texte ou une liste de textes")
    quoted_post = item.get("quoted_post")
    if quoted_post is not None and not isinstance(quoted_post, (str, int)):
        raise DraftError(f"{where} : « quoted_post » doit être un identifiant")
    attachment = item.get("attachment")
    return Quote(
        kind=kind,
        attachment=_read_attachment(attachment, base, where) if attachment is not None else None,
        quoted_text=quoted_text,
        quoted_post=quoted_post,
        **fields,
    )


def load_draft(data: object, base: Path) -> Draft:
    """Build a Draft from the JSON document; attachment paths are relative to ``base``."""
    if not isinstance(data, dict):
        raise DraftError("le brouillon doit être un objet JSON {\"body\", \"category\", \"quotes\"}")
    body = data.get("body", "")
    if not isinstance(body, str):
        raise DraftError("« body » doit être une chaîne de caractères (le texte Markdown)")
    category = data.get("category", "general")
    if category not in CATEGORIES:
        raise DraftError(f"« category » doit valoir {' ou '.join(repr(c) for c in CATEGORIES)}")
    quotes = data.get("quotes", [])
    if not isinstance(quotes, list):
        raise DraftError("« quotes » doit être une liste de citations")
    attachments = data.get("attachments", [])
    if not isinstance(attachments, list):
        raise DraftError("« attachments » doit être une liste de fichiers")
    return Draft(
        body=body,
        category=category,
        quotes=[_read_quote(q, n, base) for n, q in enumerate(quotes, start=1)],
        attachments=[_read_attachment(a, base, f"pièce jointe n°\u00a0{n}")
                     for n, a in enumerate(attachments, start=1)],
    )


def load_dns(path: str) -> dict[str, str | list[str]]:
    """Read the offline DNS table: {name: TXT value (string or list of strings)}."""
    data = _read_json(path, "table DNS")
    if not isinstance(data, dict) or not all(
            isinstance(v, str) or (isinstance(v, list) and all(isinstance(s, str) for s in v))
            for v in data.values()):
        raise DraftError("table DNS invalide : un objet {\"nom.\": \"valeur TXT\"} est attendu")
    return data


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        data = _read_json(args.draft, "brouillon")
        base = Path.cwd() if args.draft == "-" else Path(args.draft).resolve().parent
        draft = load_draft(data, base)
        dns = load_dns(args.dns) if args.dns else None
    except DraftError as exc:
        print(fr(f"erreur : {exc}"), file=sys.stderr)
        return EXIT_UNREADABLE
    findings = check_draft(draft, dns=dns)
    out = json.dumps({"findings": [f.to_dict() for f in findings]}, ensure_ascii=False, indent=2) + "\n"
    # UTF-8 whatever the locale: the messages are French.
    stream = getattr(sys.stdout, "buffer", None)
    if stream is not None:
        sys.stdout.flush()
        stream.write(out.encode("utf-8"))
        stream.flush()
    else:
        sys.stdout.write(out)
    return EXIT_HELD if is_held(findings) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
