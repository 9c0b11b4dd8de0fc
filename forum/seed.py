"""Bulk data at party scale for benchmarks: `python -m forum seed --posts 1000000`.

Bodies are cooked once from a pool (sanitising a million posts one by one would take longer
than the benchmark), then inserted with batched executemany; each batch's first revisions are
copied by the database, and on SQLite the batch is indexed for search in one statement (see
_INDEX_BATCH): a million posts in ~140 s.

The text imitates French forum prose for search benchmarks: a vocabulary of ~3 000 word forms
(function words, the inflected forms of campaign and local-politics nouns, adjectives and verbs,
set phrases such as "logement social", places) drawn with Zipf-like frequencies, so that "de"
is in nearly every post, "campagne" in about a third, most forms in well under 1 %, and some
never. POOL distinct bodies, so that a rare form is in a small share of the posts. Everything
is deterministic: the vocabulary does not depend on the seed, the texts depend on it only.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from forum.context import Context
from forum.markup import render_markdown
from forum.models import (
    Category, Federation, Member, MemberStatus, ModerationPolicy, Post, PostKind, PostStatus, Topic,
)
from forum.progress import Progress
from forum.search import AUTHOR_MARK
from forum.security import hash_password

BATCH = 5000
POOL = 2000  # distinct bodies; a post is one of them

# --- members' names ------------------------------------------------------------------------------
# Common French first names and surnames (a surname of two words joined by "_" here). Member i
# of a seed is named by a bijection (see member_name): no two members of the first
# len(FIRST_NAMES) × len(SURNAMES) (~59 000) share a full name, and a small seed already has
# many surnames. A word of a name may be within another ("Martin" in "Martinez"), and Marion is
# both a first name and a surname, as in life.
FIRST_NAMES = """
Camille Léa Manon Chloé Emma Inès Sarah Jade Louise Lucie Juliette Anaïs Mathilde Pauline Marion
Julie Laura Claire Élodie Céline Nathalie Isabelle Sylvie Catherine Christine Sandrine Valérie
Véronique Sophie Stéphanie Aurélie Émilie Caroline Agnès Hélène Monique Françoise Martine Brigitte
Nadia Fatima Samira Yasmine Amandine Margaux Clémence Océane Zoé Alice Anne Jeanne Odile Gisèle
Josiane Maëlle Solène Nora Leïla Aïcha Bérénice Capucine Colette Delphine Estelle Fanny Gaëlle
Ghislaine Irène Joëlle Karine Laetitia Magali Mireille Noémie Ophélie Patricia Rose Sabine Tiphaine
Ursule Vanessa Wendy Yvette Zohra Adèle Albane Apolline Armelle Bénédicte Thomas Nicolas Julien
Maxime Antoine Alexandre Quentin Kevin Romain Mathieu Guillaume Hugo Lucas Louis Théo Nathan Jules
Arthur Paul Pierre Jacques Michel Philippe Alain Patrick Christophe Stéphane Laurent Frédéric
Olivier Éric Sébastien Vincent Thierry Didier Pascal Gérard Daniel Yves Marc Hervé Bruno Gilles
Mehdi Karim Rachid Mohamed Youssef Samuel Benoît Baptiste Clément Adrien Florian Damien Raphaël
Gabriel Léo Noé Émile Yann Loïc Erwan Ronan Aurélien Bastien Cédric Dominique Fabrice Grégoire
Hamid Ibrahim Jérôme Killian Lionel Mickaël Nabil Octave Patrice Régis Sylvain Tristan Ulysse
Valentin Xavier Yohan Zinedine Anthony Bertrand Cyril Dylan Enzo Franck Gaétan Hector
""".split()
SURNAMES = [name.replace("_", " ") for name in """
Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefèvre Leroy
Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller
Lefebvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier Garcia
Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier Masson Marchand Duval Denis Dumont
Marie Lemaire Noël Meyer Dufour Meunier Brun Blanchard Giraud Joly Rivière Lucas Brunet Gaillard
Barbier Arnaud Martinez Gérard Roche Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre
Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe Bourgeois Pierre Benoît Rey Leclerc Payet
Rolland Leclercq Guillaume Lecomte Lopez Jean Dupuy Guillot Hubert Berger Carpentier Sanchez Dupuis
Moulin Louis Deschamps Huet Vasseur Perez Boucher Fleury Royer Klein Jacquet Adam Paris Poirier
Marty Aubry Guyot Carré Charles Renault Charpentier Ménard Maillard Baron Bertin Bailly Hervé
Schneider Fernandez Collet Léger Bouvier Julien Prévost Millet Perrot Daniel Cousin Germain Breton
Besson Langlois Rémy Pelletier Lévêque Perrier Leblanc Barré Lebrun Marchal Weber Mallet Hamon
Boulanger Jacob Monnier Michaud Rodriguez Guichard Gillet Étienne Grondin Poulain Tessier Chevallier
Collin Chauvin Bouchet Gay Lemaître Bénard Maréchal Humbert Reynaud Antoine Hoarau Perret Barthélemy
Cordier Pichon Lejeune Gilbert Lamy Delaunay Pasquier Carlier Laporte Aubin Bouvet Chartier Courtois
Delorme Devaux Drouet Ferrand Fouquet Gervais Gosselin Hardy Jourdan Labbé Lacombe Lagarde Lebon
Le_Gall Le_Goff Le_Roux Lesage Loiseau Marin Marion Maury Menard Navarro Nguyen Ollivier Pages
Paul Peltier Raynaud Riviere Rocher Rousset Sauvage Tanguy Teixeira Texier Thibault Tournier
Vaillant Valentin Verdier Vial Villard Wagner Benard Blondel Bonneau Bourdon Briand Brunel
Camus Chabert Charrier Chevrier Clerc Cochet Colas Coste Coulon Cuvelier Da_Silva Delmas Descamps
Dijoux Duhamel Dupré Ferreira Fleuret Forestier Fortin Gallet Gomez Grenier Guillon Hamel Hoareau
Jacques Joubert Labat Lacoste Laine Lallemand Lamotte Langlais Lebreton Leconte Lefort Leger
Lemercier Léonard Levy Lombard Lucien Maillot Manceau Mathis Merle Mignot Moreno Mouton Naudin
Pineau Pons Poulet Prevost Raymond Rigaud Rivet Rossignol Sabatier Salmon Seguin Tellier Thierry
Toussaint Turpin Vallée Vernet Vigneron Voisin Weiss Zimmermann
""".split()]
_SURNAME_STEP = 37  # first name a's surnames start at a × 37: consecutive members differ in both


def member_name(index: int) -> tuple[str, str]:
    """The first name and surname of a seed's member `index` (0, 1, …)."""
    first, turn = index % len(FIRST_NAMES), index // len(FIRST_NAMES)
    return FIRST_NAMES[first], SURNAMES[(turn + _SURNAME_STEP * first) % len(SURNAMES)]


# --- vocabulary ----------------------------------------------------------------------------------
# Hand-written lists; the inflected forms are derived below. Frequencies: rank r of FUNCTION
# weighs 1/r, content lemma r (TOP first, then the others in a fixed shuffled order) weighs
# 1/(r + CONTENT_OFFSET), split among its forms by the shares of its kind.

FUNCTION = """
de la le et les des à en un du une que est pour qui dans a par plus pas au sur ne se ce il sont nous
avec on mais comme ou son elle aux cette ses été tout sa leur y être bien fait ils aussi sans lui entre
nos notre deux même peut où faire donc très si encore ont après avant dont alors car depuis contre tous
toutes ces sous chaque autre autres vous je leurs moins faut doit avons avez ai était sera peu déjà
toujours ici là non oui rien quand comment pourquoi parce aujourd'hui demain hier enfin ainsi trop vers
chez selon pendant jusqu'à afin cela ça celui celle ceux quelques plusieurs beaucoup avoir pouvoir devoir
aller va vont allons dire dit prendre mettre voir venir vient savoir vouloir veut veulent peuvent doivent
font sommes étaient serait pourrait faudrait chacun certains certaines aucun aucune trois quatre cinq dix
cent mille surtout plutôt vraiment bientôt ensemble tant parfois souvent jamais mieux vite puis lorsque
""".split()

NOUNS = """
campagne réunion logement fédération section vote programme élection débat proposition démocratie budget
commune liste congrès motion santé école emploi transport écologie jeunesse région tract terrain
solidarité amendement retraite adhésion bureau conseil comité mandat scrutin bulletin urne
circonscription canton département quartier ville village territoire pays nation parlement assemblée
sénat gouvernement ministre ministère loi projet réforme service entreprise travail salaire syndicat grève
manifestation rassemblement cortège affiche affichage collage porte marché distribution permanence local
salle ordre compte semaine mois année jour soir matin week-end date calendrier heure rendez-vous question
idée avis position choix décision accord désaccord majorité minorité opposition alliance coalition gauche
droite centre parti mouvement courant tendance orientation ligne stratégie objectif priorité enjeu défi
crise difficulté problème solution réponse mesure action initiative engagement promesse bilan résultat
score sondage chiffre taux hausse baisse dette déficit impôt taxe fiscalité dépense recette investissement
subvention aide allocation prestation pension chômage précarité pauvreté inégalité richesse revenu prix
loyer facture énergie électricité chauffage climat pollution biodiversité nature eau air déchet recyclage
agriculture alimentation cantine restauration commerce industrie usine formation apprentissage université
lycée collège enfant parent famille crèche garde hôpital médecin urgence soin maladie handicap
accessibilité sécurité police justice tribunal prison prévention culture bibliothèque musée théâtre
festival sport club association bénévolat citoyenneté habitant voisin population rue route gare train bus
tram vélo piste voiture parking circulation mobilité trajet internet réseau téléphone fibre site page
courrier lettre message article journal presse média radio télévision interview communiqué tribune
pétition signature consultation concertation référendum charte statut règlement clause texte document
rapport note synthèse contribution analyse étude enquête diagnostic carte plan agenda feuille équipe
groupe collectif commission atelier plateforme outil accueil visite déplacement tournée meeting discours
intervention parole temps moment période début fin suite étape calendrier échéance délai vacances rentrée
printemps été automne hiver matinée soirée fête repas apéritif buffet café local siège adresse numéro
mail lien fichier compte-rendu procès-verbal ordre du jour vote fédéral trésorerie cotisation don
financement remboursement frais facture devis fournisseur imprimeur impression papier flyer banderole
drapeau badge autocollant stand table chaise micro sono vidéo photo image logo slogan message thème sujet
point fond forme sens esprit valeur principe droit devoir liberté égalité fraternité laïcité république
constitution institution État collectivité métropole agglomération intercommunalité conseil municipalité
maire adjoint conseiller député sénateur préfet préfecture mairie administration agent fonctionnaire
fonction poste métier carrière contrat statut temps partiel heure supplémentaire congé salaire minimum
smic convention négociation dialogue concertation compromis vote blanc abstention participation
mobilisation dynamique élan victoire défaite échec succès progrès avancée recul risque danger menace peur
colère espoir confiance respect dignité fierté courage patience attention intérêt besoin demande attente
envie volonté capacité moyen ressource effort sacrifice partage
""".split()

PEOPLE = """
militant candidat adhérent électeur délégué élu secrétaire président représentant responsable salarié
retraité étudiant enseignant agriculteur artisan commerçant citoyen sympathisant bénévole volontaire
animateur conseiller travailleur chômeur habitant ouvrier infirmier chercheur partenaire camarade ami
""".split()

ADJECTIVES = """
social public local national régional municipal départemental fédéral européen international politique
économique écologique démocratique républicain solidaire juste injuste populaire collectif commun général
large fort faible grand petit nouveau ancien jeune prochain dernier premier important nécessaire possible
difficile simple clair concret réel véritable vrai libre égal gratuit accessible durable vert propre sain
sûr ouvert fermé privé rural urbain numérique culturel sportif associatif progressiste humain écologiste
socialiste libéral conservateur majoritaire minoritaire unitaire fiscal budgétaire financier salarial
sanitaire scolaire universitaire professionnel familial quotidien annuel mensuel prioritaire urgent
essentiel principal officiel électoral participatif transparent efficace utile précis complet long court
bon mauvais meilleur haut bas chaud froid cher actif heureux sérieux inquiet prêt content déçu
""".split()

VERBS = """
proposer organiser voter participer discuter présenter préparer porter lancer mobiliser rencontrer
distribuer coller informer expliquer inviter adhérer animer écouter demander rappeler appeler envoyer
partager publier relayer signer valider adopter rejeter amender modifier déposer examiner étudier analyser
financer payer augmenter baisser créer développer améliorer protéger renforcer rénover aménager accompagner
aider former recruter manifester protester dénoncer exiger réclamer négocier gagner remporter compter
rassembler fédérer coordonner piloter annoncer confirmer regretter souhaiter espérer penser trouver donner
laisser passer rester parler montrer continuer commencer arriver entrer chercher travailler essayer
utiliser décider imaginer jouer changer aimer sembler tenter noter signaler préciser souligner insister
ajouter constater observer regarder consulter associer impliquer engager sensibiliser mener amener lever
gérer préférer considérer accélérer libérer intégrer employer appuyer nettoyer manger
""".split()  # first group (-er) only: their forms are derived

PHRASES = [
    "logement social", "logements sociaux", "service public", "services publics", "transition écologique",
    "conseil municipal", "conseil régional", "conseil départemental", "assemblée générale", "bureau fédéral",
    "bureau national", "conseil national", "comité de soutien", "pouvoir d'achat", "droit de vote",
    "réunion publique", "porte-à-porte", "tête de liste", "ordre du jour", "premier tour", "second tour",
    "sécurité sociale", "fonction publique", "hôpital public", "transports en commun", "éducation nationale",
    "code du travail", "égalité salariale", "justice sociale", "démocratie locale", "budget participatif",
    "vie associative", "semaine prochaine", "mois dernier", "fin de mois", "campagne électorale",
    "liste commune", "programme commun", "union de la gauche", "réchauffement climatique", "prix de l'énergie",
    "contrôle des loyers", "centre-ville", "quartiers populaires", "zones rurales", "petite enfance",
    "personnes âgées", "salle des fêtes", "marché du dimanche", "boîtes aux lettres", "réseaux sociaux",
    "fiche de poste", "appel à candidatures", "procès-verbal", "vote électronique", "dépôt des listes",
]

PLACES = """
Paris Lyon Marseille Toulouse Lille Nantes Bordeaux Rennes Strasbourg Grenoble Montpellier Nice Dijon
Brest Rouen Tours Limoges Clermont-Ferrand Besançon Metz Nancy Amiens Caen Poitiers Perpignan Orléans
Angers Reims Bretagne Normandie Occitanie Provence Alsace Lorraine Auvergne Bourgogne Aquitaine Picardie
Savoie Corse Gironde Isère Finistère Hérault Rhône Loire Vendée Ardèche Seine-Saint-Denis Val-de-Marne
""".split()

# The most frequent content lemmas, in order; the others follow in a fixed shuffled order.
TOP = """
campagne militant réunion proposer logement fédération section vote programme élection candidat débat
social proposition public démocratie budget commune organiser local liste congrès motion national santé
école emploi voter transport écologie jeunesse région tract terrain solidarité amendement retraite
""".split()
CONTENT_OFFSET = 20

_IRREGULAR_ADJECTIVES = {  # masculine: (feminine, masculine plural, feminine plural)
    "nouveau": ("nouvelle", "nouveaux", "nouvelles"), "public": ("publique", "publics", "publiques"),
    "long": ("longue", "longs", "longues"), "bon": ("bonne", "bons", "bonnes"),
    "complet": ("complète", "complets", "complètes"), "inquiet": ("inquiète", "inquiets", "inquiètes"),
    "conservateur": ("conservatrice", "conservateurs", "conservatrices"),
    "électeur": ("électrice", "électeurs", "électrices"), "animateur": ("animatrice", "animateurs", "animatrices"),
    "travailleur": ("travailleuse", "travailleurs", "travailleuses"), "chercheur": ("chercheuse", "chercheurs", "chercheuses"),
    "chômeur": ("chômeuse", "chômeurs", "chômeuses"), "ami": ("amie", "amis", "amies"),
    "agriculteur": ("agricultrice", "agriculteurs", "agricultrices"), "bas": ("basse", "bas", "basses"),
}
_IRREGULAR_PLURALS = {"travail": "travaux", "festival": "festivals", "œil": "yeux", "pneu": "pneus"}
# First-group verbs whose stem changes before a mute e (il mène, ils appellent, il paie), and
# their future (il mènera, il enverra).
_MUTE_STEMS = {
    "mener": "mèn", "amener": "amèn", "lever": "lèv", "gérer": "gèr", "préférer": "préfèr", "considérer": "considèr",
    "accélérer": "accélèr", "libérer": "libèr", "intégrer": "intègr", "adhérer": "adhèr", "fédérer": "fédèr",
    "espérer": "espèr", "protéger": "protèg", "rappeler": "rappell", "appeler": "appell", "rejeter": "rejett",
    "envoyer": "envoi", "payer": "pai", "essayer": "essai", "employer": "emploi", "appuyer": "appui",
    "nettoyer": "nettoi",
}
_FUTURES = {"envoyer": "enverr"}
_E_MUTE_STEM_FUTURE = ("mener", "amener", "lever", "rappeler", "appeler", "rejeter", "payer", "essayer",
                       "employer", "appuyer", "nettoyer")
_VERB_ENDINGS = (("er", 26), ("é", 13), ("e", 14), ("ons", 9), ("ent", 7), ("ée", 5), ("és", 5), ("ez", 4),
                 ("ait", 4), ("ées", 3), ("era", 3), ("ant", 2.5), ("erons", 2), ("aient", 1.5))


def _plural(noun: str) -> str:
    if noun in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[noun]
    if " " in noun or noun.endswith(("s", "x", "z")) or noun == "rendez-vous":
        return noun
    if noun.endswith("al"):
        return noun[:-2] + "aux"
    if noun.endswith(("au", "eu")):
        return noun + "x"
    return noun + "s"


def _gendered(word: str) -> tuple[str, str, str, str]:
    """(masculine, feminine, masculine plural, feminine plural)."""
    if word in _IRREGULAR_ADJECTIVES:
        return (word, *_IRREGULAR_ADJECTIVES[word])
    if word.endswith("e"):
        feminine = word
    elif word.endswith("eux"):
        feminine = word[:-1] + "se"
    elif word.endswith("if"):
        feminine = word[:-1] + "ve"
    elif word.endswith(("el", "en")):
        feminine = word + word[-1] + "e"
    elif word.endswith("er"):
        feminine = word[:-2] + "ère"
    else:
        feminine = word + "e"
    if word.endswith(("s", "x")):
        plural = word
    elif word.endswith("al"):
        plural = word[:-2] + "aux"
    else:
        plural = word + "s"
    return word, feminine, plural, feminine + "s"


def _conjugated(verb: str) -> list[tuple[str, float]]:
    """A first-group verb's frequent forms with their shares."""
    stem = verb[:-2]
    mute = _MUTE_STEMS.get(verb, stem)
    future = _FUTURES.get(verb, mute + "er" if verb in _E_MUTE_STEM_FUTURE else verb)
    soft = stem + "e" if stem.endswith("g") else stem[:-1] + "ç" if stem.endswith("c") else stem
    forms = []
    for ending, share in _VERB_ENDINGS:
        if ending in ("e", "ent"):
            form = mute + ending
        elif ending in ("ons", "ait", "ant", "aient"):
            form = soft + ending
        elif ending in ("era", "erons"):
            form = future + ending[2:]
        else:
            form = stem + ending
        forms.append((form, share))
    return forms


def _vocabulary() -> dict[str, float]:
    """Every form (or set phrase) with its weight, heaviest first."""
    weights: dict[str, float] = {}

    def add(form: str, weight: float) -> None:
        weights[form] = weights.get(form, 0.0) + weight

    for rank, word in enumerate(dict.fromkeys(FUNCTION), start=1):
        add(word, 1 / rank)
    lemmas: dict[str, list[tuple[str, float]]] = {}
    for noun in NOUNS:
        plural = _plural(noun)
        lemmas.setdefault(noun, [(noun, 0.7), (plural, 0.3)] if plural != noun else [(noun, 1.0)])
    for word in PEOPLE + ADJECTIVES:
        masculine, feminine, plural, feminine_plural = _gendered(word)
        shares: dict[str, float] = {}
        for form, share in ((masculine, 0.4), (feminine, 0.25), (plural, 0.2), (feminine_plural, 0.15)):
            shares[form] = shares.get(form, 0.0) + share  # "solidaire" is both genders
        lemmas[word] = list(shares.items())
    for verb in VERBS:
        lemmas[verb] = _conjugated(verb)
    for unit in PHRASES + PLACES:
        lemmas.setdefault(unit, [(unit, 1.0)])
    shuffle = random.Random("tribune-vocabulaire").shuffle
    minor = [unit for unit in dict.fromkeys(PHRASES + PLACES) if unit not in TOP]
    rest = [lemma for lemma in lemmas if lemma not in TOP and lemma not in minor]
    shuffle(rest)
    shuffle(minor)
    for position in range(len(minor)):  # set phrases and places: one lemma in five, past the 60 first
        rest.insert(60 - len(TOP) + 5 * position, minor[position])
    for rank, lemma in enumerate(TOP + rest, start=1):
        forms = lemmas[lemma]
        total = sum(share for _, share in forms)
        for form, share in forms:
            add(form, share / total / (rank + CONTENT_OFFSET))
    return dict(sorted(weights.items(), key=lambda item: -item[1]))


_WEIGHTS = _vocabulary()
WORDS = list(_WEIGHTS)  # every form and set phrase, most frequent first
_CUMULATIVE = list(itertools.accumulate(_WEIGHTS.values()))
_CONTENT = [w for w in WORDS if w not in frozenset(FUNCTION)]
_CONTENT_CUMULATIVE = list(itertools.accumulate(_WEIGHTS[w] for w in _CONTENT))
_ELIDED = {"le": "l'", "la": "l'", "de": "d'", "que": "qu'", "ne": "n'", "se": "s'", "je": "j'", "ce": "c'"}
_VOWELS = tuple("aeiouyéèêàâîïôûAEIOUYÉÈÊÀÂÎÏÔÛ")
_NOT_ELIDED_BEFORE = frozenset(FUNCTION) - {"un", "une", "il", "ils", "elle", "on", "est", "a", "en", "y"}


def _draw(rng: random.Random, k: int) -> list[str]:
    """k words (or set phrases) with the vocabulary's frequencies."""
    total = _CUMULATIVE[-1]
    return [WORDS[bisect.bisect(_CUMULATIVE, rng.random() * total)] for _ in range(k)]


def _draw_content(rng: random.Random, k: int) -> list[str]:
    total = _CONTENT_CUMULATIVE[-1]
    return [_CONTENT[bisect.bisect(_CONTENT_CUMULATIVE, rng.random() * total)] for _ in range(k)]


def _sentence(words: list[str], rng: random.Random) -> str:
    out: list[str] = []
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in _ELIDED and following.startswith(_VOWELS) and following not in _NOT_ELIDED_BEFORE:
            out.append(_ELIDED[word])
            continue
        out.append(word + ("," if following and rng.random() < 0.06 else "") + ("" if index + 1 == len(words) else " "))
    joined = "".join(out)
    return joined[0].upper() + joined[1:] + rng.choice((".", ".", ".", ".", ".", "\u202f?", "\u202f!"))


def body_source(rng: random.Random) -> str:
    """A post's Markdown: 1–4 paragraphs of 15–60 words in sentences, sometimes a short list."""
    paragraphs = []
    for _ in range(rng.randint(1, 4)):
        left = rng.randint(15, 60)
        sentences = []
        while left > 0:
            length = min(left, rng.randint(6, 20))
            if 0 < left - length < 4:
                length = left
            sentences.append(_sentence(_draw(rng, length), rng))
            left -= length
        paragraphs.append(" ".join(sentences))
    if rng.random() < 0.3:
        paragraphs.append("- " + "\n- ".join(" ".join(_draw_content(rng, rng.randint(1, 3))) for _ in range(3)))
    return "\n\n".join(paragraphs)


def topic_title(rng: random.Random) -> str:
    """A topic's title: 2–6 content words, sometimes joined by a preposition."""
    words = _draw_content(rng, rng.randint(2, 6))
    joined = words[0]
    for word in words[1:]:
        joined += rng.choice((" ", " ", " ", " et ", " pour ", "\u00a0: ", " à ", " dans ")) + word
    return joined[0].upper() + joined[1:]


# SQLite's search index (migrations 0005, 0006) is kept by a trigger on posts. Row by row it costs
# five times what one statement per batch costs (FTS5 flushes its pending terms at every statement
# that writes to it): for the seed's batches, the trigger is set aside inside the transaction and
# the batch indexed at once, with the trigger's rule; the trigger is back before the commit.
_INDEX_TRIGGER = "post_search_post_insert"
_INDEX_BATCH = (
    "INSERT INTO post_search (rowid, title, body, author) "
    "SELECT posts.id, CASE WHEN posts.number = 1 THEN topics.title ELSE '' END, posts.source, "
    f"char({ord(AUTHOR_MARK)}) || posts.author_id "
    "FROM posts JOIN topics ON topics.id = posts.topic_id "
    "WHERE posts.id BETWEEN :first AND :last AND topics.status = 'published' "
    "AND posts.status = 'published' AND posts.masked_at IS NULL"
)


def _suspend_index_trigger(session: Session) -> str | None:
    """Drop the trigger that indexes each new post and return its SQL, to create it again."""
    sql = session.scalar(text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
                         {"name": _INDEX_TRIGGER})
    if sql is not None:
        session.execute(text(f"DROP TRIGGER {_INDEX_TRIGGER}"))
    return sql


def _sources(rng: random.Random, count: int = POOL) -> list[str]:
    return [body_source(rng) for _ in range(count)]


def _bodies(rng: random.Random, count: int = POOL) -> list[tuple[str, str]]:
    """The pool of (Markdown, HTML) bodies (the benchmark's peers use the same sources)."""
    return [(source, render_markdown(source)) for source in _sources(rng, count)]


def seed(ctx: Context, *, members: int, federations: int, topics: int, posts: int, seed_value: int = 42) -> None:
    """Add federations, members, categories, topics and posts in bulk, with a progress line."""
    rng = random.Random(seed_value)
    sources = _sources(rng)
    cooked: dict[int, str] = {}  # rendered on first use: a small seed does not render the whole pool
    now = dt.datetime.now(dt.timezone.utc)
    password = hash_password("seed-password-not-for-production")
    with ctx.db.write() as session:
        base_fed = session.scalar(select(func.count()).select_from(Federation)) or 0
        session.execute(insert(Federation), [
            {"slug": f"federation-{base_fed + i}", "name": f"Fédération {base_fed + i}"} for i in range(federations)
        ])
        fed_ids = list(session.scalars(select(Federation.id)))
        base_cat = session.scalar(select(func.count()).select_from(Category)) or 0
        session.execute(insert(Category), [
            {"slug": f"seed-{base_cat + i}", "name": f"Catégorie {base_cat + i}", "description": "Données de test.",
             "position": 100 + i, "moderation_policy": ModerationPolicy.GENERAL, "topic_count": 0, "post_count": 0}
            for i in range(5)
        ])
        cat_ids = list(session.scalars(select(Category.id).where(Category.slug.like("seed-%"))))
        base_member = session.scalar(select(func.max(Member.id))) or 0
        bar = Progress("membres", members)
        for start in range(0, members, BATCH):
            rows = [
                {"email": f"seed{base_member + i}@tribune.example", "first_name": first, "last_name": last,
                 "federation_id": rng.choice(fed_ids), "status": MemberStatus.ACTIVE, "password_hash": password,
                 "membership_number": f"S{base_member + i:08d}", "created_at": now}
                for i in range(start, min(start + BATCH, members))
                for first, last in [member_name(base_member + i)]
            ]
            session.execute(insert(Member), rows)
            bar.update(start + len(rows))
        bar.finish()
        member_ids = list(session.scalars(select(Member.id)))
    # Posts spread over topics; each topic's posts are numbered 1..n.
    per_topic = [posts // topics] * topics
    for i in range(posts % topics):
        per_topic[i] += 1
    bar = Progress("messages", posts)
    done = 0
    topic_rows: list[dict[str, object]] = []
    post_rows: list[dict[str, object]] = []
    with ctx.db.write() as session:
        trigger = _suspend_index_trigger(session) if ctx.db.is_sqlite else None
        base_topic = session.scalar(select(func.max(Topic.id))) or 0
        base_post = session.scalar(select(func.max(Post.id))) or 0
        for index, count in enumerate(per_topic):
            topic_id = base_topic + index + 1
            started = now - dt.timedelta(minutes=(topics - index) * 10)
            topic_rows.append({
                "id": topic_id, "category_id": cat_ids[index % len(cat_ids)], "author_id": rng.choice(member_ids),
                "title": topic_title(rng), "created_at": started,
                "last_post_at": started + dt.timedelta(seconds=count), "post_count": count, "locked": False,
            })
            for number in range(1, count + 1):
                base_post += 1
                choice = rng.randrange(len(sources))
                source = sources[choice]
                html = cooked.get(choice)
                if html is None:
                    html = cooked[choice] = render_markdown(source)
                post_rows.append({
                    "id": base_post, "topic_id": topic_id, "number": number, "author_id": rng.choice(member_ids),
                    "kind": PostKind.MESSAGE, "status": PostStatus.PUBLISHED, "source": source, "html": html,
                    "created_at": started + dt.timedelta(seconds=number), "revision_count": 1,
                })
            if len(post_rows) >= BATCH or index == len(per_topic) - 1:
                session.connection().execute(insert(Topic), topic_rows)
                session.connection().execute(insert(Post), post_rows)
                # Each post's first revision, copied by the database: the texts cross over once.
                session.execute(text(
                    "INSERT INTO post_revisions (post_id, number, editor_id, source, html, created_at, quotes, visible) "
                    "SELECT id, 1, author_id, source, html, created_at, '[]', true FROM posts "
                    "WHERE id BETWEEN :first AND :last"), {"first": post_rows[0]["id"], "last": post_rows[-1]["id"]})
                if trigger is not None:
                    session.execute(text(_INDEX_BATCH), {"first": post_rows[0]["id"], "last": post_rows[-1]["id"]})
                done += len(post_rows)
                bar.update(done)
                topic_rows, post_rows = [], []
        if trigger is not None:
            session.connection().exec_driver_sql(trigger)  # as stored: no bind parameters to parse
        for cat_id in cat_ids:
            session.execute(
                text("UPDATE categories SET topic_count = (SELECT count(*) FROM topics WHERE category_id = :c), "
                     "post_count = (SELECT coalesce(sum(post_count), 0) FROM topics WHERE category_id = :c) WHERE id = :c"),
                {"c": cat_id},
            )
        if not ctx.db.is_sqlite:
            # Explicit ids were inserted: move the sequences past them.
            for table in ("topics", "posts"):
                session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                ))
    bar.finish()
