"""Canonical tabs, columns, enums and flags: English inside, French (and English) at the edges."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import pandas as pd

Kind = Literal["text", "date", "number", "percent", "status", "email", "deliverable_status"]


class Tab(StrEnum):
    """The team's tabs, by canonical name."""

    ACTIVITIES = "activities"
    INDICATORS = "indicators"
    MEASURES = "measures"
    COMMITTEES = "committees"
    DELIVERABLES = "deliverables"
    TARGETS = "targets"
    COMMITMENTS = "commitments"


class OwnedTab(StrEnum):
    """Tabs the product writes and rewrites whole; never the team's own."""

    TRACKING = "Suivi automatique"
    CHECKS = "Contrôles"


@dataclass(frozen=True)
class Column:
    """One column of a tab: canonical name, French header, English alias, type, required."""

    name: str
    fr: str
    en: str
    kind: Kind = "text"
    required: bool = False
    also: tuple[str, ...] = ()  # other headers seen in real logframes (TolaData, LogAlto…)


TAB_HEADERS: dict[Tab, tuple[str, str]] = {
    Tab.ACTIVITIES: ("Activités", "Activities"),
    Tab.INDICATORS: ("Indicateurs", "Indicators"),
    Tab.MEASURES: ("Mesures", "Measurements"),
    Tab.COMMITTEES: ("Comités", "Committees"),
    Tab.DELIVERABLES: ("Échéances", "Deliverables"),
    Tab.TARGETS: ("Cibles", "Targets"),
    Tab.COMMITMENTS: ("Engagements", "Commitments"),
}
# Tabs a spreadsheet may leave out without a word (§6.6).
OPTIONAL_TABS = frozenset({Tab.TARGETS, Tab.COMMITMENTS})

COLUMNS: dict[Tab, tuple[Column, ...]] = {
    Tab.ACTIVITIES: (
        Column("id", "ID", "id", required=True),
        Column("output", "Résultat", "output"),
        Column("activity", "Activité", "activity", required=True),
        Column("owner", "Responsable", "owner", required=True),
        Column("owner_email", "Email responsable", "owner_email", "email"),
        Column("partner", "Partenaire", "partner"),
        Column("planned_start", "Début prévu", "planned_start", "date", required=True),
        Column("planned_end", "Fin prévue", "planned_end", "date", required=True),
        Column("contractual_deadline", "Échéance contractuelle", "contractual_deadline", "date"),
        Column("progress", "Avancement", "progress", "percent", required=True),
        Column("status", "Statut", "status", "status", required=True),
        Column("actual_end", "Date de réalisation", "actual_end", "date"),
        Column("last_update", "Dernière mise à jour", "last_update", "date"),
        Column("funder", "Bailleur", "funder"),
        Column("budget_planned", "Budget prévu", "budget_planned", "number"),
        Column("budget_spent", "Budget consommé", "budget_spent", "number"),
        Column("comment", "Commentaire", "comment"),
    ),
    Tab.INDICATORS: (
        Column("code", "Code", "code", required=True, also=("No.", "N°", "Numéro")),
        Column("level", "Niveau", "level"),
        Column("output", "Résultat", "output"),
        Column("name", "Libellé", "name", required=True, also=("Indicator", "Indicateur")),
        Column("unit", "Unité", "unit", also=("Unit of measure", "Unité de mesure")),
        Column("baseline", "Valeur de référence", "baseline", "number", required=True),
        Column("target", "Cible", "target", "number", required=True),
        Column("target_date", "Échéance cible", "target_date", "date"),
        Column("direction", "Sens", "direction", also=("Direction of change",)),
        Column("method", "Calcul", "method"),
        Column("aggregation", "Agrégation", "aggregation"),
        Column("frequency", "Fréquence", "frequency", also=("Target frequency",)),
        Column("owner", "Responsable", "owner"),
    ),
    Tab.MEASURES: (
        Column("indicator", "Code indicateur", "indicator", required=True),
        Column("date", "Date", "date", "date", required=True),
        Column("value", "Valeur", "value", "number", required=True),
        Column("breakdown", "Désagrégation", "breakdown"),
        Column("source", "Source", "source"),
    ),
    Tab.COMMITTEES: (
        Column("date", "Date", "date", "date", required=True),
        Column("time", "Heure", "time"),
        Column("body", "Instance", "body", required=True),
        Column("place", "Lieu", "place"),
        Column("participants", "Participants", "participants"),
        Column("agenda", "Ordre du jour", "agenda"),
    ),
    Tab.DELIVERABLES: (
        Column("funder", "Bailleur", "funder"),
        Column("deliverable", "Livrable", "deliverable", required=True),
        Column("due", "Date limite", "due", "date", required=True),
        Column("status", "Statut", "status", "deliverable_status"),
        Column("owner", "Responsable", "owner"),
        Column("owner_email", "Email responsable", "owner_email", "email"),
        Column("submitted_on", "Date de soumission", "submitted_on", "date"),
    ),
    Tab.TARGETS: (
        Column("indicator", "Code indicateur", "indicator", required=True),
        Column("period", "Période", "period", required=True),
        Column("breakdown", "Désagrégation", "breakdown"),
        Column("target", "Cible", "target", "number", required=True),
    ),
    Tab.COMMITMENTS: (
        Column("funder", "Bailleur", "funder"),
        Column("deliverable", "Livrable", "deliverable", required=True),
        Column("periodicity", "Périodicité", "periodicity", required=True),
        Column("delay_days", "Délai", "delay_days", "number", required=True),
        Column("start", "Début", "start", "date", required=True),
        Column("end", "Fin", "end", "date", required=True),
        Column("owner", "Responsable", "owner"),
        Column("owner_email", "Email responsable", "owner_email", "email"),
    ),
}

# Columns every typed frame carries besides its tab's own: which project, which sheet row.
META_COLUMNS = ("project", "row")


class Status(StrEnum):
    """Activity status, canonical."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class DeliverableStatus(StrEnum):
    """Deliverable status, canonical."""

    TODO = "todo"
    SUBMITTED = "submitted"
    VALIDATED = "validated"


class Flag(StrEnum):
    """Flags, named as the contract names them (the French codes are the stable API)."""

    LATE = "en_retard"
    LATE_START = "demarrage_tardif"
    AT_RISK = "a_risque"
    DUE_SOON = "echeance_proche"
    STALE = "sans_mise_a_jour"
    DONE_LATE = "termine_en_retard"
    MISSING_MEASURE = "mesure_manquante"


# Flags in order of severity: the first one raised names the computed state.
FLAG_ORDER: tuple[Flag, ...] = (
    Flag.LATE,
    Flag.AT_RISK,
    Flag.LATE_START,
    Flag.DUE_SOON,
    Flag.STALE,
    Flag.DONE_LATE,
    Flag.MISSING_MEASURE,
)

# Flags that are reported but never alerted on.
REPORT_ONLY_FLAGS = frozenset({Flag.DONE_LATE})


def normalise_label(text: object) -> str:
    """Fold a header or enum label: no accents, no case, no unit, single spaces."""
    folded = unicodedata.normalize("NFKD", str(text))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    folded = re.sub(r"\([^)]*\)\s*$", "", folded)  # trailing unit such as "(%)" or "(MAD)"
    folded = re.sub(r"[\s_\-*]+", " ", folded)  # "owner_email", "Email  responsable*"
    return folded.strip(" :.")


def fold_labels(values: pd.Series) -> pd.Series:
    """`normalise_label` of each value, computed once per distinct value; missing stays missing."""
    distinct = values.dropna().unique()
    return values.map({value: normalise_label(value) for value in distinct})


def _labels(*pairs: tuple[str, tuple[str, ...]]) -> dict[str, str]:
    return {normalise_label(label): code for code, labels in pairs for label in labels}


STATUS_LABELS: dict[str, str] = _labels(
    (
        Status.NOT_STARTED,
        ("Non démarrée", "Non démarré", "Pas démarrée", "not started", "À démarrer"),
    ),
    (Status.IN_PROGRESS, ("En cours", "in progress", "ongoing")),
    (Status.DONE, ("Terminée", "Terminé", "Réalisée", "Réalisé", "Achevée", "done", "completed")),
    (Status.SUSPENDED, ("Suspendue", "Suspendu", "En pause", "suspended", "on hold")),
    (Status.CANCELLED, ("Annulée", "Annulé", "cancelled", "canceled")),
)

DELIVERABLE_STATUS_LABELS: dict[str, str] = _labels(
    (DeliverableStatus.TODO, ("À faire", "A faire", "En préparation", "to do", "todo", "pending")),
    (DeliverableStatus.SUBMITTED, ("Soumis", "Envoyé", "submitted", "sent")),
    (DeliverableStatus.VALIDATED, ("Validé", "Approuvé", "validated", "approved")),
)

DIRECTION_LABELS: dict[str, str] = _labels(
    ("up", ("hausse", "higher", "up", "increase", "")),
    ("down", ("baisse", "lower", "down", "decrease")),
)

AGGREGATION_LABELS: dict[str, str] = _labels(
    ("latest", ("dernière", "derniere valeur", "latest", "last", "")),
    ("sum", ("somme", "cumul", "sum", "total")),
)

FREQUENCY_DAYS: dict[str, int] = {
    normalise_label(label): days
    for labels, days in (
        (("mensuelle", "monthly"), 31),
        (("trimestrielle", "quarterly"), 92),
        (("semestrielle", "half-yearly", "semiannual"), 183),
        (("annuelle", "yearly", "annual"), 366),
    )
    for label in labels
}


def column_lookup(tab: Tab) -> dict[str, str]:
    """Folded header (French or English) → canonical column name."""
    lookup: dict[str, str] = {}
    for column in COLUMNS[tab]:
        for label in (column.fr, column.en, *column.also):
            lookup[normalise_label(label)] = column.name
    return lookup


def tab_lookup() -> dict[str, Tab]:
    """Folded tab title (French or English) → canonical tab."""
    return {normalise_label(label): tab for tab, labels in TAB_HEADERS.items() for label in labels}


def column_names(tab: Tab) -> list[str]:
    """Canonical column names of a tab, in contract order."""
    return [column.name for column in COLUMNS[tab]]


def column_letter(position: int) -> str:
    """The spreadsheet letters of a 1-based column position: 1 → A, 27 → AA."""
    letters = ""
    while position > 0:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
