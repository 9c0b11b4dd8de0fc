"""Demo data for `make run`: loaded on the first run only."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.context import Context
from forum.models import Category, Federation, Member, ModerationPolicy, Role
from forum.mail import Mailer
from forum.services import accounts, designations, posting

PARIS = ZoneInfo("Europe/Paris")

DEMO_PASSWORD = "demo-tribune-2026"
CANDIDATES = (2, 3)

FEDERATIONS = [("paris", "Paris"), ("rhone", "Rhône"), ("gironde", "Gironde")]
CATEGORIES = [
    ("debat", "Débat", "Le débat de la désignation : toute citation y est sourcée, avec son contexte.", ModerationPolicy.DEBATE),
    ("annonces", "Annonces", "Les annonces de la direction et des fédérations.", ModerationPolicy.GENERAL),
    ("programme", "Programme", "Propositions et amendements au programme.", ModerationPolicy.DEBATE),
    ("vie-locale", "Vie locale", "Réunions, tractages et vie des sections.", ModerationPolicy.GENERAL),
    ("questions", "Questions aux candidat·es", "Posez vos questions aux candidat·es déclaré·es.", ModerationPolicy.DEBATE),
    ("entraide", "Entraide", "Aide à l’utilisation de Tribune et questions pratiques.", ModerationPolicy.GENERAL),
]
PEOPLE = [
    ("admin@tribune.example", "Alice", "Martin", "paris", Role.ADMIN, None),
    ("moderation@tribune.example", "Karim", "Benali", "rhone", Role.MODERATOR, None),
    ("camille.roux@tribune.example", "Camille", "Roux", "paris", Role.MEMBER, None),
    ("jean.dupont@tribune.example", "Jean", "Dupont", "rhone", Role.MEMBER, None),
    ("lea.moreau@tribune.example", "Léa", "Moreau", "paris", Role.MEMBER, None),
    ("hugo.lefebvre@tribune.example", "Hugo", "Lefebvre", "gironde", Role.MEMBER, None),
    ("ines.garcia@tribune.example", "Inès", "Garcia", "rhone", Role.MEMBER, None),
    ("paul.bernard@tribune.example", "Paul", "Bernard", "gironde", Role.MEMBER, None),
    ("sarah.petit@tribune.example", "Sarah", "Petit", "paris", Role.MEMBER, None),
]
TOPICS = [
    ("debat", 2, "Pourquoi je suis candidate à la tête de liste",
     "Chères et chers camarades,\n\nJe me présente pour porter **une campagne de terrain**, fédération par fédération.\n\n"
     "Trois priorités :\n\n1. le logement ;\n2. les transports du quotidien ;\n3. la démocratie interne.",
     [(3, "Merci Camille. Sur le logement, quel calendrier proposes-tu pour les premières mesures ?"),
      (2, "Dès la première année : un plan de rénovation voté dans les cent premiers jours."),
      (4, "Je partage la priorité sur les transports, mais il faut parler des zones rurales.")]),
    ("debat", 3, "Ma candidature : rassembler toutes les fédérations",
     "Je suis candidat parce que notre parti doit **parler à tout le pays**.\n\nMon texte complet est en ligne ; "
     "je répondrai ici à toutes vos questions.",
     [(5, "Quelle place pour les fédérations rurales dans ta campagne ?"),
      (3, "Une place centrale : la moitié de mes déplacements se fera hors des métropoles.")]),
    ("vie-locale", 5, "Réunion de section jeudi 19 h",
     "Ordre du jour : bilan du tractage, préparation du débat régional, questions diverses.\n\nSalle habituelle, 2e étage.",
     [(6, "Je serai là, j’apporte les tracts restants.")]),
    ("entraide", 4, "Comment citer un tweet correctement ?",
     "Je veux citer un ancien tweet d’un candidat : faut-il le lien, une archive, une capture ?",
     [(1, "Le lien vers le tweet et, si possible, une archive (web.archive.org). Indiquez aussi le contexte : "
          "à qui il répondait, et quand.")]),
    ("annonces", 0, "Calendrier de la désignation",
     "Les candidatures sont ouvertes jusqu’au 15 décembre. Le débat se poursuit jusqu’au 20 janvier ; "
     "le vote a lieu sur le système de vote du parti.", []),
]


class _QuietMailer(Mailer):
    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        return None


def _demo_designation(ctx: Context, session: Session, people: list[Member]) -> None:
    """A national designation with candidacies open, Camille and Jean validated, a few endorsements."""
    now = ctx.clock().astimezone(PARIS)
    fmt = lambda days: (now + dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    designation = designations.create_designation(
        ctx, session, people[0], title="Tête de liste aux élections européennes", federation_slug="",
        candidacies_open_at=fmt(-7), candidacy_deadline=fmt(14), debate_ends_at=fmt(40), vote_at=fmt(42),
        voting_url="https://vote.example.org/europeennes", description="Désignation de la tête de liste nationale.",
    )
    statements = {
        2: "## Une campagne de terrain\n\nLogement, transports du quotidien, démocratie interne : "
           "je veux porter nos propositions dans chaque fédération.",
        3: "## Rassembler\n\nNotre parti doit parler à tout le pays, des métropoles aux villages.",
    }
    for index, text in statements.items():
        candidacy = designations.declare_candidacy(ctx, session, people[index], designation.id, text)
        designations.decide_candidacy(ctx, session, people[0], candidacy.id, True, "")
        for supporter in ((4, 8) if index == 2 else (5,)):
            designations.endorse(ctx, session, people[supporter], candidacy.id)


def load_demo(ctx: Context) -> list[tuple[str, str, str]] | None:
    """Create the demo forum unless members exist; returns (email, name, role) of the demo logins."""
    # The demo writes a dozen posts in a second: flood limits would refuse them. Its notifications
    # stay in the forum: `make run` prints the logins, not a dozen sample emails.
    ctx = dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, seconds_between_posts=0, topics_per_day=0),
                              mailer=_QuietMailer(ctx.settings))
    with ctx.db.write() as session:
        if (session.scalar(select(func.count()).select_from(Member)) or 0) > 0:
            return None
        feds = {}
        for slug, name in FEDERATIONS:
            fed = Federation(slug=slug, name=name)
            session.add(fed)
            feds[slug] = fed
        for position, (slug, name, description, policy) in enumerate(CATEGORIES):
            session.add(Category(slug=slug, name=name, description=description, position=position, moderation_policy=policy))
        session.flush()
        people: list[Member] = []
        for email, first, last, fed_slug, role, moderated in PEOPLE:
            people.append(
                accounts.create_member(
                    session, email=email, first_name=first, last_name=last, federation=feds[fed_slug],
                    role=role, moderated_federation=moderated, password=DEMO_PASSWORD,
                )
            )
        for slug, author, title, body, replies in TOPICS:
            topic = posting.create_topic(ctx, session, people[author], slug, title, body)
            for replier, text in replies:
                posting.reply(ctx, session, people[replier], topic.id, text)
        _demo_designation(ctx, session, people)
        labels = {Role.ADMIN: "administratrice", Role.MODERATOR: "modérateur", Role.MEMBER: "adhérent·e"}
        # Camille and Jean declare themselves candidates in the demo topics.
        return [
            (m.email, m.display_name, "candidat·e" if i in CANDIDATES else labels[m.role])
            for i, m in enumerate(people)
        ]
