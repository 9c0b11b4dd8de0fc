"""Quotes pasted as plain text: tweets and email headers in the body, compilations in a quote.

Detection is line-based and scores *signals*, because a single signal (an
@mention, "Objet : …", "il a écrit") is ordinary debate prose; what gives a
paste away is residue that only a copy from Twitter/X or a mail client leaves:
timestamps next to a "·", "Replying to @…", header blocks, forward separators.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .model import Finding
from .text import fr, strip_invisible, unique

# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------

_MONTH_FR = (
    r"(?:janv(?:ier|\.)?|f[ée]vr?(?:ier|\.)?|mars|avr(?:il|\.)?|mai|juin|juil(?:let|\.)?|ao[uû]t"
    r"|sept(?:embre|\.)?|oct(?:obre|\.)?|nov(?:embre|\.)?|d[ée]c(?:embre|\.)?)"
)
_MONTH_EN = (
    r"(?:jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?|july?|aug(?:ust|\.)?"
    r"|sep(?:t(?:ember)?|\.)?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?)"
)
_DATE = (
    rf"(?:\d{{1,2}}(?:er)?\s+(?:{_MONTH_FR}|{_MONTH_EN})(?:\s+\d{{2,4}})?"
    rf"|{_MONTH_EN}\s+\d{{1,2}}(?:,\s*\d{{4}})?)"
)
_TIME = r"\d{1,2}\s?[:h]\s?\d{2}(?:\s?[ap]\.?\s?m\.?)?"
_RELATIVE = r"\d{1,2}\s?(?:h|min|m|s|j|d)"
_HANDLE = r"@(\w{1,15})"
_DOT = r"[·•]"

_TIME_AMPM = r"\d{1,2}:\d{2}\s?[ap]\.?\s?m\.?"
# The full date of a tweet's own page always carries the year.
_DATE_Y = (
    rf"(?:\d{{1,2}}(?:er)?\s+(?:{_MONTH_FR}|{_MONTH_EN})\s+\d{{2,4}}"
    rf"|{_MONTH_EN}\s+\d{{1,2}},\s*\d{{4}})"
)
# What may follow the timestamp on the same line: views or the posting app.
_TW_SUFFIX = r"(?:\s*[·•]\s*(?:[\d\s.,]+[kKM]?\s*(?:vues|views)|twitter\b.*|tweetdeck|[\w ]{0,30}\bapp))?"
# "10:42 PM · 3 mars 2012", "22:42 · 3 mars 2012 · 1 234 vues", old embeds "3:42 PM - 3 Mar 2012",
# each alone on its line (an agenda line "19:00 · 12 mars · Réunion" is not one).
_TW_TIMESTAMP = re.compile(
    rf"^(?:{_TIME}\s*{_DOT}\s*{_DATE_Y}{_TW_SUFFIX}|{_TIME_AMPM}\s*[-–—]\s*{_DATE_Y}"
    rf"|{_DATE_Y}\s*{_DOT}\s*{_TIME})\s*$",
    re.I)
# "Jean Dupont @jdupont · 3 mars", "@jdupont · 2 h".
_TW_BYLINE_DATED = re.compile(
    rf"^(?:[^@\n]{{1,50}}?\s)?\(?{_HANDLE}\)?\s*{_DOT}\s*(?:{_DATE}|{_RELATIVE})(?!\w)", re.I)
# Embedded-tweet signature: "— Jean Dupont (@jdupont) March 3, 2012".
# It may follow the tweet's text on the same line.
_TW_EMBED_BYLINE = re.compile(rf"(?:^|\s)(?:[—–]|--?)\s*[^—–\n]{{1,60}}?\({_HANDLE}\)\s*(?:{_DATE}|{_TIME})", re.I)
# "@jdupont" alone, or "Jean Dupont @jdupont" (two to five capitalised words), case-sensitive on purpose.
_TW_BYLINE = re.compile(rf"^(?:{_HANDLE}|(?:[^\s@a-zà-ÿ][^\s@]*\s+){{2,5}}\(?{_HANDLE}\)?)$")
_TW_RT = re.compile(rf"^RT\s+{_HANDLE}\b")
_TW_REPLY = re.compile(
    rf"^(?:en réponse à|replying to)\s+{_HANDLE}"
    r"(?:(?:\s*,\s*|\s+(?:et|and)\s+)(?:@\w{1,15}|\d+\s+(?:autres?|others?)))*\s*$",
    re.I,
)
_TW_DATE_LINE = re.compile(rf"^{_DOT}?\s*(?:{_DATE}|{_RELATIVE})\s*$", re.I)
# Counters under a tweet; words that could be a plain heading need their number.
_TW_COUNT_UI = re.compile(
    r"^(?:(?:[\d\s.,]+[kKM]?\s*)?(?:retweets?|j'aime|likes?|reposts?|quote tweets?|tweets? cités?"
    r"|retweets avec commentaire)"
    r"|[\d\s.,]*\d[\d\s.,]*[kKM]?\s*(?:citations?|vues|views|signets|bookmarks|réponses|replies"
    r"|republications?|posts? cités?))$",
    re.I,
)
_TW_UI = re.compile(
    r"^(?:traduire (?:le|ce) (?:post|tweet)|translate (?:post|tweet)|voir la traduction"
    r"|afficher la traduction|show translation|twitter (?:for|pour) (?:iphone|android|ipad|mac)"
    r"|twitter web (?:app|client)|tweetdeck|afficher plus|show more|afficher cette discussion"
    r"|show this thread|citer le (?:post|tweet)|quote tweet|suivre|follow|·"
    r"|.{1,50}\s(?:a retweeté|a reposté|retweeted|reposted)"
    r"|(?:\d[\d\s.,]*[kKM]?\s+)?(?:abonnements|abonnés|followers|following))$",
    re.I,
)

_EM_SEPARATOR = re.compile(
    r"^(?:-{2,}\s*(?:message d'origine|original message|forwarded message|message transféré"
    r"|message original|forwarded message|message réexpédié)\s*-{2,}"
    r"|(?:début du message réexpédié|begin forwarded message|message transféré)\s*:?)\s*$",
    re.I,
)
_EM_RULE = re.compile(r"^_{10,}$")
_EM_WROTE = re.compile(r"(?:a écrit|a ecrit|wrote)\s*:\s*$", re.I)
_EM_WROTE_START = re.compile(r"^(?:le|on)\s", re.I)
_EM_TIME = re.compile(r"\b\d{1,2}\s?[:h]\s?\d{2}\b")
_EM_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_EM_HEADER = re.compile(
    r"^(?P<name>de|from|envoyé par|envoyé|sent|expéditeur|à|a|to|pour|cc|cci|bcc|objet|sujet"
    r"|subject|date|répondre à|reply-to|destinataires?)\s*:\s*(?P<value>\S.*)$",
    re.I,
)
_EM_SENT_FROM = re.compile(r"^(?:envoyé (?:de|depuis) (?:mon|my|l'application)|sent from my)\b", re.I)
_SENDER_HEADERS = {"de": "from", "from": "from", "expéditeur": "from",
                   "envoyé": "sent", "envoyé par": "from", "sent": "sent"}
_HEADER_KIND = {"à": "to", "a": "to", "to": "to", "pour": "to", "destinataire": "to",
                "destinataires": "to", "cc": "cc", "cci": "cc", "bcc": "cc", "objet": "subject",
                "sujet": "subject", "subject": "subject", "date": "date", "répondre à": "reply",
                "reply-to": "reply"}
#: Header lines further apart than this are not one pasted header block.
_HEADER_WINDOW = 8

_LINE_DECOR = re.compile(r"^[ \t]*(?:>[ \t]?)*[ \t]*(?:[-+][ \t]+)?", re.M)
_EMPHASIS = re.compile(r"\*+|__")
_LINE_END = re.compile(r"[ \t\\]+$", re.M)
_LINE_START = re.compile(r"^[ \t]+", re.M)
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")
# Residue lines are short; a longer line can only be a signal if it holds one of these.
_LONG_LINE_HINT = re.compile(r"@|[ée]crit|wrote|^[^:]{1,25}:|^-{2}|^_{5}", re.I)
_SHORT_LINE = 60
# Stands for a long prose line: not empty (it is content) but matching no pattern.
_PROSE = "\x00"
_LINE_START_HANDLE = re.compile(rf"^(?:RT\s+)?{_HANDLE}")
_FROM_BLOCK = re.compile(r"^(?:from|de|expéditeur)\s*:\s*\S", re.I)


def clean_lines(text: str) -> list[str]:
    """Lines without blockquote/list markers, emphasis, invisible characters or odd spaces."""
    text = unicodedata.normalize("NFKC", strip_invisible(text)).replace("’", "'")
    text = _NEWLINES.sub("\n", text)
    # Whole-text substitutions: one C-level pass instead of one per line.
    text = _LINE_START.sub("", _LINE_END.sub("", _EMPHASIS.sub("", _LINE_DECOR.sub("", text))))
    return text.split("\n")


def _may_signal(line: str) -> bool:
    """Cheap pre-filter: a long prose line without '@', 'écrit', a header colon… is never residue."""
    return len(line) <= _SHORT_LINE or _LONG_LINE_HINT.search(line) is not None


# --------------------------------------------------------------------------
# Pasted tweets and email headers in the body
# --------------------------------------------------------------------------


@dataclass
class _Signals:
    strong: list[int] = field(default_factory=list)  # line numbers (1-based)
    weak: dict[str, list[int]] = field(default_factory=dict)

    def add_weak(self, kind: str, line: int) -> None:
        self.weak.setdefault(kind, []).append(line)

    def first_line(self) -> int:
        lines = self.strong + [n for ns in self.weak.values() for n in ns]
        return min(lines) if lines else 0


def _tweet_signals(lines: list[str]) -> tuple[_Signals, bool]:
    """Score a text's lines for pasted-tweet residue; also says whether bylines alone give it away."""
    sig = _Signals()
    bylines_with_content: set[str] = set()
    for i, line in enumerate(lines):
        if not line or line is _PROSE:
            continue
        n = i + 1
        if (_TW_TIMESTAMP.match(line) or _TW_BYLINE_DATED.match(line) or _TW_EMBED_BYLINE.search(line)
                or _TW_RT.match(line) or _TW_REPLY.match(line)):
            sig.strong.append(n)
            continue
        m = _TW_BYLINE.match(line)
        if m:
            sig.add_weak("byline", n)
            nxt = next((x for x in lines[i + 1:] if x), "")
            if nxt and not _TW_BYLINE.match(nxt):
                bylines_with_content.add((m.group(1) or m.group(2)).lower())
        elif _TW_DATE_LINE.match(line):
            sig.add_weak("date", n)
        elif _TW_COUNT_UI.match(line) or _TW_UI.match(line):
            sig.add_weak("ui", n)
    # Several bylines each followed by their text: a compilation even without timestamps.
    return sig, len(bylines_with_content) >= 2


def _tweet_pasted(sig: _Signals, bylines_compilation: bool) -> bool:
    return bool(sig.strong) or len(sig.weak) >= 2 or len(sig.weak.get("ui", ())) >= 2 or bylines_compilation


def _email_signals(lines: list[str]) -> tuple[_Signals, bool]:
    sig = _Signals()
    headers: list[tuple[int, str]] = []  # (line index, header kind)
    for i, line in enumerate(lines):
        if not line or line is _PROSE:
            continue
        n = i + 1
        if _EM_SEPARATOR.match(line):
            sig.strong.append(n)
            continue
        if _wrote_line(lines, i):
            sig.strong.append(n)
            continue
        if _EM_RULE.match(line) or _EM_SENT_FROM.match(line):
            sig.add_weak("residue", n)
            headers.append((i, "residue"))
            continue
        m = _EM_HEADER.match(line)
        if not m:
            continue
        name, value = m.group("name").lower(), m.group("value")
        kind = _SENDER_HEADERS.get(name) or _HEADER_KIND.get(name, "")
        if kind == "from" and (value[0].isdigit() or not any(c.isalpha() for c in value)):
            continue  # "De : 18 h à 20 h" is a timetable, not a sender
        if kind in ("sent", "date") and not any(c.isdigit() for c in value):
            continue
        sig.add_weak(kind, n)
        headers.append((i, kind))
    block = False
    for i, kind in headers:
        if kind not in ("from", "sent"):
            continue
        near = {k for j, k in headers if abs(j - i) <= _HEADER_WINDOW and k != kind}
        if near:
            block = True
            break
    return sig, block


def _wrote_line(lines: list[str], i: int) -> bool:
    """'Le 3 mars 2012 à 10:42, X a écrit :' (or 'On … wrote:'), possibly wrapped on two lines."""
    line = lines[i]
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if not any(w in line or w in nxt for w in ("crit", "wrote")):
        return False  # cheap rejection of nearly every line
    candidates = [line]
    # Gmail wraps long lines: "… <jean@x.fr> a" / "écrit :". A sentence end is no wrap.
    if nxt and len(nxt) < 60 and line[-1:] not in ".!?;:":
        candidates.append(line + " " + nxt)
    # It names an address, or it opens like a mail client's line ("Le"/"On") with a time.
    return any(
        _EM_WROTE.search(text)
        and (_EM_ADDRESS.search(text) or (_EM_TIME.search(text) and _EM_WROTE_START.match(text)))
        for text in candidates
    )


def scan_body(body: str) -> list[Finding]:
    """Hold a body that contains a pasted tweet or pasted email headers instead of a structured quote."""
    if not body.strip():
        return []
    # Long prose lines are blanked once here so that neither scan looks at them.
    lines = [line if _may_signal(line) else _PROSE for line in clean_lines(body)]
    findings = []
    tweet_sig, bylines = _tweet_signals(lines)
    if _tweet_pasted(tweet_sig, bylines):
        findings.append(Finding(
            "pasted_tweet", "hold",
            fr("Le texte semble contenir un tweet collé (ligne {line}). Ajoutez-le plutôt comme "
               "citation, avec son lien, son auteur, sa date et son contexte : il sera vérifié et "
               "affiché dans son propre cadre.", line=tweet_sig.first_line()),
        ))
    mail_sig, header_block = _email_signals(lines)
    if mail_sig.strong or header_block:
        findings.append(Finding(
            "pasted_email", "hold",
            fr("Le texte semble contenir un courriel collé, avec ses en-têtes (ligne {line}). "
               "Ajoutez-le plutôt comme citation de type courriel, en joignant le message d’origine "
               "(.eml), avec son auteur, sa date et son contexte.", line=mail_sig.first_line()),
        ))
    return findings


# --------------------------------------------------------------------------
# Compilations inside one quote
# --------------------------------------------------------------------------


def quote_authors(text: str) -> tuple[list[str], int]:
    """(distinct @handles that open a line or sign a tweet, number of email author blocks)."""
    lines = clean_lines(text)
    handles: list[str] = []
    email_blocks = 0
    for i, line in enumerate(lines):
        if not line or line is _PROSE:
            continue
        m = (_TW_BYLINE_DATED.match(line) or _TW_EMBED_BYLINE.search(line)
             or _TW_BYLINE.match(line) or _LINE_START_HANDLE.match(line))
        if m:
            handle = next(g for g in m.groups() if g)
            handles.append(handle.lower())
        elif _FROM_BLOCK.match(line) or _wrote_line(lines, i):
            email_blocks += 1
    return unique(handles), email_blocks


def check_compilation(text: str, index: int) -> list[Finding]:
    """Hold a quote whose text gathers several authors' tweets or messages."""
    handles, email_blocks = quote_authors(text)
    if len(handles) >= 2:
        who = ", ".join("@" + h for h in handles)
        return [Finding(
            "quote_compilation", "hold",
            fr("Cette citation réunit les messages de plusieurs comptes ({who}) : créez une citation "
               "par tweet, chacune avec son lien, son auteur et sa date.", who=who),
            index, "text",
        )]
    if email_blocks >= 2:
        return [Finding(
            "quote_compilation", "hold",
            fr("Cette citation réunit plusieurs messages (plusieurs en-têtes « De : » ou « a écrit : ») : "
               "créez une citation par message, chacune avec son auteur, sa date et son fichier."),
            index, "text",
        )]
    return []
