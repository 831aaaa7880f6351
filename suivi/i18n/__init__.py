"""Fixed strings of the e-mails in French, Arabic and English, with locale-aware formatting."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Literal

import pandas as pd
from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal, format_percent

from suivi.settings import Language

LANGUAGES: tuple[Language, ...] = ("fr", "ar", "en")
DEFAULT_LANGUAGE: Language = "fr"
# Babel locales: Moroccan Arabic month names (دجنبر), day-first English.
LOCALES: dict[str, str] = {"fr": "fr_FR", "ar": "ar_MA", "en": "en_GB"}
RTL_LANGUAGES = frozenset({"ar"})
MISSING = "—"

# key → (French, Arabic, English). French is written with plain spaces; the typography
# pass below adds the non-breaking spaces French wants before : ; ? ! and inside « ».
_CATALOGUE: dict[str, tuple[str, str, str]] = {
    # Flags (the contract's codes)
    "flag.en_retard": ("En retard", "متأخر", "Late"),
    "flag.demarrage_tardif": ("Démarrage tardif", "انطلاق متأخر", "Late start"),
    "flag.a_risque": ("À risque", "معرض للتأخر", "At risk"),
    "flag.echeance_proche": ("Échéance proche", "الأجل قريب", "Due soon"),
    "flag.sans_mise_a_jour": ("Sans mise à jour", "بدون تحديث", "Not updated"),
    "flag.termine_en_retard": ("Terminé en retard", "أنجز متأخرا", "Done late"),
    "flag.mesure_manquante": ("Mesure manquante", "قياس ناقص", "Missing measure"),
    # Statuses of activities and deliverables
    "status.not_started": ("Non démarrée", "لم ينطلق", "Not started"),
    "status.in_progress": ("En cours", "قيد الإنجاز", "In progress"),
    "status.done": ("Terminée", "منجز", "Done"),
    "status.suspended": ("Suspendue", "معلق", "Suspended"),
    "status.cancelled": ("Annulée", "ملغى", "Cancelled"),
    "status.todo": ("À faire", "قيد الإعداد", "To do"),
    "status.submitted": ("Soumis", "تم الإرسال", "Submitted"),
    "status.validated": ("Validé", "تمت المصادقة", "Validated"),
    "status.unknown": ("Statut non renseigné", "وضعية غير محددة", "Status not given"),
    # Indicator statuses
    "indicator.achieved": ("Atteint", "محقق", "Achieved"),
    "indicator.on_track": ("Dans les temps", "في المسار", "On track"),
    "indicator.behind": ("En retard", "متأخر", "Behind"),
    "indicator.no_data": ("Pas de donnée", "لا توجد بيانات", "No data"),
    # Row kinds
    "kind.activity": ("Activité", "نشاط", "Activity"),
    "kind.deliverable": ("Livrable", "وثيقة مستحقة", "Deliverable"),
    # Column headers
    "col.id": ("ID", "الرمز", "ID"),
    "col.name": ("Intitulé", "البيان", "Item"),
    "col.kind": ("Type", "النوع", "Type"),
    "col.owner": ("Responsable", "المسؤول", "Owner"),
    "col.state": ("État", "الحالة", "State"),
    "col.days_late": ("Retard (jours)", "التأخير (أيام)", "Days late"),
    "col.deadline": ("Échéance", "الأجل", "Deadline"),
    "col.projected_finish": ("Fin projetée", "الانتهاء المتوقع", "Projected finish"),
    "col.progress": ("Avancement", "نسبة التقدم", "Progress"),
    "col.planned_start": ("Début prévu", "الانطلاق المقرر", "Planned start"),
    "col.change": ("Évolution", "التطور", "Change"),
    "col.last_update": ("Dernière mise à jour", "آخر تحديث", "Last update"),
    "col.where": ("Où", "المكان في الجدول", "Where"),
    "col.what": ("Quoi mettre à jour", "ما يجب تحديثه", "What to update"),
    "col.code": ("Code", "الرمز", "Code"),
    "col.indicator": ("Indicateur", "المؤشر", "Indicator"),
    "col.baseline": ("Référence", "القيمة المرجعية", "Baseline"),
    "col.target": ("Cible", "القيمة المستهدفة", "Target"),
    "col.current": ("Valeur actuelle", "القيمة الحالية", "Current value"),
    "col.achievement": ("Réalisé", "المنجز", "Achieved"),
    "col.expected": ("Attendu à date", "المتوقع حاليا", "Expected by now"),
    "col.last_measure": ("Dernière mesure", "آخر قياس", "Last measure"),
    "col.projected": ("Projection à l'échéance", "الإسقاط عند الأجل", "Projected at target date"),
    "col.points_per_week_needed": (
        "Rythme nécessaire (points/semaine)",
        "الوتيرة اللازمة (نقطة/أسبوع)",
        "Pace needed (points/week)",
    ),
    "col.status": ("Statut", "الوضعية", "Status"),
    "col.tab": ("Onglet", "الورقة", "Tab"),
    "col.cell": ("Cellule", "الخلية", "Cell"),
    "col.value": ("Valeur lue", "القيمة المقروءة", "Value found"),
    "col.problem": ("Problème", "المشكلة", "Problem"),
    "col.date": ("Date", "التاريخ", "Date"),
    "col.time": ("Heure", "الساعة", "Time"),
    "col.body": ("Instance", "الهيئة", "Body"),
    "col.place": ("Lieu", "المكان", "Place"),
    "col.agenda": ("Ordre du jour", "جدول الأعمال", "Agenda"),
    "col.participants": ("Participants", "المشاركون", "Participants"),
    "col.funder": ("Bailleur", "الجهة المانحة", "Funder"),
    "col.due": ("Date limite", "آخر أجل", "Due"),
    "col.items": ("Éléments", "العناصر", "Items"),
    "col.project": ("Projet", "المشروع", "Project"),
    "col.count": ("Nombre", "العدد", "Count"),
    "col.what_label": ("Rubrique", "البند", "Item"),
    # Section titles
    "section.headline": ("L'essentiel", "أهم المعطيات", "At a glance"),
    "section.changes": (
        "Ce qui a changé depuis le dernier passage",
        "ما الذي تغير منذ آخر مراجعة",
        "What changed since the last run",
    ),
    "section.newly_late": ("Nouveaux retards", "تأخرات جديدة", "Newly late"),
    "section.resolved": ("Retards résorbés", "تأخرات تمت تسويتها", "No longer late"),
    "section.newly_done": (
        "Terminés depuis le dernier passage",
        "أنجزت منذ آخر مراجعة",
        "Completed since the last run",
    ),
    "section.big_progress": ("Fortes progressions", "تقدم ملحوظ", "Big steps forward"),
    "section.first_run": (
        "Premier passage pour ce projet : il n'y a pas encore d'historique à comparer.",
        "هذه أول مراجعة لهذا المشروع: لا يوجد بعد سجل للمقارنة.",
        "First run for this project: there is no history to compare with yet.",
    ),
    "section.no_change": ("Aucun changement notable.", "لا تغييرات تذكر.", "No notable change."),
    "section.late": ("En retard", "متأخرة", "Late"),
    "section.late_and_risks": ("Retards et risques", "التأخرات والمخاطر", "Delays and risks"),
    "section.at_risk": ("À risque de retard", "معرضة للتأخر", "At risk of running late"),
    "section.late_start": ("Démarrages tardifs", "انطلاق متأخر", "Late starts"),
    "section.due_soon": (
        "Échéances dans les {days} prochains jours",
        "آجال خلال الأيام {days} القادمة",
        "Due in the next {days} days",
    ),
    "section.stale": (
        "Sans mise à jour depuis plus de {days} jours",
        "بدون تحديث منذ أكثر من {days} يوما",
        "Not updated for more than {days} days",
    ),
    "section.indicators": (
        "Indicateurs du cadre logique",
        "مؤشرات الإطار المنطقي",
        "Logframe indicators",
    ),
    "section.chart_data": ("Données du graphique", "بيانات الرسم البياني", "Chart data"),
    "section.committees": ("Prochains comités", "الاجتماعات القادمة", "Upcoming committees"),
    "section.deliverables": (
        "Prochains livrables",
        "الوثائق المستحقة القادمة",
        "Upcoming deliverables",
    ),
    "section.problems": ("Données à corriger", "معطيات يجب تصحيحها", "Data to fix"),
    "section.problem_list": (
        "Problèmes relevés dans le tableau",
        "المشاكل المرصودة في الجدول",
        "Problems found in the sheet",
    ),
    "section.calendar": ("Calendrier", "الأجندة", "Calendar"),
    "section.no_email": (
        "Responsables sans adresse e-mail (à compléter dans le tableau)",
        "مسؤولون بدون عنوان بريد إلكتروني (يرجى إكماله في الجدول)",
        "Owners without an e-mail address (please fill it in the sheet)",
    ),
    "section.meeting": ("La réunion", "الاجتماع", "The meeting"),
    "section.pack": ("Dossier de séance", "ملف الاجتماع", "Meeting pack"),
    "section.deliverables_before": (
        "Livrables attendus d'ici le {date}",
        "الوثائق المستحقة قبل {date}",
        "Deliverables due by {date}",
    ),
    "section.your_items": ("Vos éléments à suivre", "العناصر التي تتابعونها", "Your items"),
    "section.to_measure": (
        "Indicateurs à mesurer : aucune mesure depuis plus que leur fréquence",
        "مؤشرات يجب قياسها: لا قياس منذ مدة تتجاوز دوريتها",
        "Indicators to measure: no measure for longer than their frequency",
    ),
    "section.deliverable": ("Le livrable", "الوثيقة المستحقة", "The deliverable"),
    "section.error": ("Erreur", "الخطأ", "Error"),
    "none": ("Rien à signaler.", "لا شيء يذكر.", "Nothing to report."),
    "more_rows": (
        "… et {count} de plus : voir l'onglet « Suivi automatique » du tableau.",
        "… و{count} أخرى: انظر ورقة «Suivi automatique» في الجدول.",
        "… and {count} more: see the “Suivi automatique” tab of the sheet.",
    ),
    "blocking": (
        "bloquant : ligne ignorée",
        "يمنع المعالجة: تم تجاهل السطر",
        "blocking: row skipped",
    ),
    # Headline counts
    "count.activities": ("Activités suivies", "الأنشطة المتتبعة", "Activities tracked"),
    "count.done": ("Activités terminées", "الأنشطة المنجزة", "Activities done"),
    "count.late": ("En retard", "متأخرة", "Late"),
    "count.at_risk": ("À risque", "معرضة للتأخر", "At risk"),
    "count.late_start": ("Démarrage tardif", "انطلاق متأخر", "Late start"),
    "count.due_soon": ("Échéance proche", "الأجل قريب", "Due soon"),
    "count.stale": ("Sans mise à jour", "بدون تحديث", "Not updated"),
    "count.deliverables_open": (
        "Livrables non soumis",
        "وثائق لم ترسل بعد",
        "Deliverables not yet submitted",
    ),
    "count.indicators_behind": (
        "Indicateurs en retard sur la trajectoire",
        "مؤشرات متأخرة عن المسار",
        "Indicators behind schedule",
    ),
    "count.problems": ("Problèmes de données", "مشاكل في المعطيات", "Data problems"),
    # Greetings and sentences
    "hello": ("Bonjour {name},", "السلام عليكم {name}،", "Hello {name},"),
    "hello_anonymous": ("Bonjour,", "السلام عليكم،", "Hello,"),
    "footer": (
        "Message envoyé automatiquement par suivi à partir du tableau de suivi. Une question ? Écrivez à {officer}.",
        "رسالة مرسلة تلقائيا من طرف suivi انطلاقا من جدول التتبع. لأي سؤال، يرجى مراسلة {officer}.",
        "Sent automatically by suivi from the tracking sheet. Any question? Write to {officer}.",
    ),
    "as_of": ("Situation au {date}", "الوضعية بتاريخ {date}", "Status as of {date}"),
    "intro.weekly_summary": (
        "Voici le point hebdomadaire du projet « {project} », situation au {date}.",
        "إليكم الحصيلة الأسبوعية لمشروع «{project}»، الوضعية بتاريخ {date}.",
        "Here is the weekly summary of the project “{project}”, as of {date}.",
    ),
    "intro.owner_digest": (
        "Voici les éléments dont vous êtes responsable et qui demandent votre attention au {date}. Merci de mettre à jour le tableau de suivi (avancement, statut, date de réalisation, date de dernière mise à jour).",
        "إليكم العناصر التي أنتم مسؤولون عنها والتي تتطلب انتباهكم بتاريخ {date}. المرجو تحديث جدول التتبع (نسبة التقدم، الوضعية، تاريخ الإنجاز، تاريخ آخر تحديث).",
        "Here are the items you own that need your attention as of {date}. Please update the tracking sheet (progress, status, completion date, last update date).",
    ),
    "intro.committee_reminder": (
        "Rappel : la réunion « {body} » du projet « {project} » se tient le {date}.",
        "تذكير: اجتماع «{body}» الخاص بمشروع «{project}» سينعقد يوم {date}.",
        "Reminder: the “{body}” meeting of the project “{project}” takes place on {date}.",
    ),
    "intro.committee_pack": (
        "L'essentiel du dossier de séance figure ci-dessous ; la version complète, à imprimer, est jointe à ce message.",
        "تجدون أسفله أهم ما في ملف الاجتماع؛ والنسخة الكاملة القابلة للطباعة مرفقة بهذه الرسالة.",
        "The key points of the meeting pack are below; the full, printable version is attached.",
    ),
    "intro.pack_document": (
        "Dossier préparé automatiquement le {date} à partir du tableau de suivi.",
        "ملف معد تلقائيا بتاريخ {date} انطلاقا من جدول التتبع.",
        "Pack prepared automatically on {date} from the tracking sheet.",
    ),
    "intro.deliverable_reminder": (
        "Le livrable « {name} » est attendu le {date}. Il n'est pas encore marqué comme soumis dans le tableau de suivi.",
        "الوثيقة «{name}» مستحقة يوم {date}، ولم يتم بعد تسجيلها كمرسلة في جدول التتبع.",
        "The deliverable “{name}” is due on {date}. It is not yet marked as submitted in the tracking sheet.",
    ),
    "intro.deliverable_overdue": (
        "Le livrable « {name} » était attendu le {date} et n'est pas marqué comme soumis dans le tableau de suivi.",
        "الوثيقة «{name}» كانت مستحقة يوم {date} ولم يتم تسجيلها كمرسلة في جدول التتبع.",
        "The deliverable “{name}” was due on {date} and is not marked as submitted in the tracking sheet.",
    ),
    "action.deliverable": (
        "Une fois le livrable envoyé, indiquez « Soumis » dans la colonne Statut et la date dans « Date de soumission ».",
        "بعد إرسال الوثيقة، يرجى كتابة «Soumis» في عمود الوضعية وتاريخ الإرسال في عمود «Date de soumission».",
        "Once it is sent, write “Soumis” in the Status column and the date in “Date de soumission”.",
    ),
    "intro.late_alert": (
        "Les éléments suivants sont passés en retard depuis le dernier contrôle du projet « {project} » :",
        "العناصر التالية أصبحت متأخرة منذ آخر مراجعة لمشروع «{project}»:",
        "The following items of the project “{project}” became late since the last check:",
    ),
    "intro.late_alert_first": (
        "Premier contrôle du projet « {project} » : voici tout ce qui est déjà en retard au {date}.",
        "أول مراجعة لمشروع «{project}»: إليكم كل ما هو متأخر بتاريخ {date}.",
        "First check of the project “{project}”: here is everything already late as of {date}.",
    ),
    "intro.problem_report": (
        "Le dernier contrôle du tableau de suivi du projet « {project} » a relevé des données à corriger. Les lignes marquées « bloquant » n'ont pas pu être prises en compte.",
        "كشفت آخر مراجعة لجدول تتبع مشروع «{project}» عن معطيات يجب تصحيحها. الأسطر المشار إليها بأنها تمنع المعالجة لم تؤخذ بعين الاعتبار.",
        "The last check of the tracking sheet of the project “{project}” found data to fix. Rows marked “blocking” could not be used.",
    ),
    "intro.problem_report_none": (
        "Toutes les données signalées précédemment pour le projet « {project} » ont été corrigées. Merci !",
        "تم تصحيح جميع المعطيات التي أشير إليها سابقا بخصوص مشروع «{project}». شكرا!",
        "Every data problem reported before for the project “{project}” has been fixed. Thank you!",
    ),
    "intro.run_failure": (
        "Le traitement « {flow} » a échoué le {date}. Les e-mails prévus n'ont peut-être pas été envoyés ; ils partiront au prochain passage réussi.",
        "فشلت المعالجة «{flow}» يوم {date}. قد لا تكون الرسائل المبرمجة قد أرسلت؛ وسترسل عند أول معالجة ناجحة.",
        "The “{flow}” run failed on {date}. Planned e-mails may not have gone out; they will go with the next successful run.",
    ),
    "run.link": ("Voir le détail de l'exécution", "عرض تفاصيل المعالجة", "See the run's details"),
    "where": (
        "Onglet « {tab} », ligne {row}",
        "الورقة «{tab}»، السطر {row}",
        "Tab “{tab}”, row {row}",
    ),
    "where_tab": ("Onglet « {tab} »", "الورقة «{tab}»", "Tab “{tab}”"),
    "progress_change": ("{before} → {after}", "{before} ← {after}", "{before} → {after}"),
    # What to update, per flag
    "hint.en_retard": (
        "Mettez à jour l'avancement et le statut, ou la date de réalisation si c'est terminé.",
        "حدّثوا نسبة التقدم والوضعية، أو تاريخ الإنجاز إذا انتهى النشاط.",
        "Update progress and status, or the completion date if it is done.",
    ),
    "hint.en_retard.deliverable": (
        "S'il est parti, indiquez « Soumis » et la date de soumission.",
        "إذا تم إرسالها، اكتبوا «Soumis» وتاريخ الإرسال.",
        "If it was sent, write “Soumis” and the submission date.",
    ),
    "hint.a_risque": (
        "Vérifiez l'avancement saisi ; si l'échéance n'est plus tenable, prévenez la personne chargée du suivi.",
        "تحققوا من نسبة التقدم المسجلة؛ وإذا تعذر احترام الأجل، أخبروا المكلف بالتتبع.",
        "Check the progress entered; if the deadline can no longer be met, tell the M&E officer.",
    ),
    "hint.demarrage_tardif": (
        "Passez le statut à « En cours » et indiquez l'avancement, ou signalez ce qui bloque.",
        "غيّروا الوضعية إلى «En cours» وسجلوا نسبة التقدم، أو أشيروا إلى ما يعيق الانطلاق.",
        "Set the status to “En cours” and enter the progress, or say what is blocking.",
    ),
    "hint.echeance_proche": (
        "L'échéance approche : vérifiez que l'avancement saisi est à jour.",
        "الأجل يقترب: تأكدوا من تحديث نسبة التقدم.",
        "The deadline is close: check that the progress entered is current.",
    ),
    "hint.sans_mise_a_jour": (
        "Indiquez l'avancement actuel et la date du jour dans « Dernière mise à jour ».",
        "سجلوا نسبة التقدم الحالية وتاريخ اليوم في عمود «Dernière mise à jour».",
        "Enter the current progress and today's date in “Dernière mise à jour”.",
    ),
    # Subjects
    "subject.weekly_summary": (
        "[{project}] Point hebdomadaire – semaine {week} ({date})",
        "[{project}] الحصيلة الأسبوعية – الأسبوع {week} ({date})",
        "[{project}] Weekly summary – week {week} ({date})",
    ),
    "subject.owner_digest": (
        "[{project}] Vos éléments à mettre à jour – semaine {week} ({date})",
        "[{project}] عناصر يجب تحديثها – الأسبوع {week} ({date})",
        "[{project}] Your items to update – week {week} ({date})",
    ),
    "subject.committee_reminder": (
        "[{project}] Rappel : {body} le {date} (J-{days})",
        "[{project}] تذكير: {body} يوم {date} (الأيام المتبقية: {days})",
        "[{project}] Reminder: {body} on {date} (in {days} days)",
    ),
    "subject.deliverable_reminder": (
        "[{project}] Livrable « {name} » attendu le {date} (J-{days})",
        "[{project}] الوثيقة «{name}» مستحقة يوم {date} (الأيام المتبقية: {days})",
        "[{project}] Deliverable “{name}” due on {date} (in {days} days)",
    ),
    "subject.deliverable_overdue": (
        "[{project}] Livrable en retard : « {name} » (attendu le {date})",
        "[{project}] وثيقة متأخرة: «{name}» (كانت مستحقة يوم {date})",
        "[{project}] Overdue deliverable: “{name}” (due on {date})",
    ),
    "subject.late_alert": (
        "[{project}] Nouveaux retards au {date}",
        "[{project}] تأخرات جديدة بتاريخ {date}",
        "[{project}] Newly late as of {date}",
    ),
    "subject.late_alert_first": (
        "[{project}] Retards constatés au {date}",
        "[{project}] التأخرات المسجلة بتاريخ {date}",
        "[{project}] Late items as of {date}",
    ),
    "subject.problem_report": (
        "[{project}] Données à corriger dans le tableau de suivi ({date})",
        "[{project}] معطيات يجب تصحيحها في جدول التتبع ({date})",
        "[{project}] Data to fix in the tracking sheet ({date})",
    ),
    "subject.run_failure": (
        "[suivi] Échec du traitement « {flow} » ({date})",
        "[suivi] فشل المعالجة «{flow}» ({date})",
        "[suivi] The “{flow}” run failed ({date})",
    ),
    # Page titles
    "title.weekly_summary": ("Point hebdomadaire", "الحصيلة الأسبوعية", "Weekly summary"),
    "title.owner_digest": (
        "Vos éléments à mettre à jour",
        "عناصر يجب تحديثها",
        "Your items to update",
    ),
    "title.committee_reminder": ("Rappel de réunion", "تذكير باجتماع", "Meeting reminder"),
    "title.committee_pack": ("Dossier de séance", "ملف الاجتماع", "Meeting pack"),
    "title.deliverable_reminder": ("Rappel d'échéance", "تذكير بأجل", "Deadline reminder"),
    "title.deliverable_overdue": ("Livrable en retard", "وثيقة متأخرة", "Overdue deliverable"),
    "title.late_alert": ("Nouveaux retards", "تأخرات جديدة", "Newly late"),
    "title.problem_report": ("Données à corriger", "معطيات يجب تصحيحها", "Data to fix"),
    "title.run_failure": ("Échec du traitement", "فشل المعالجة", "Run failure"),
    # Chart
    "chart.title": (
        "Réalisation des indicateurs (%)",
        "نسبة إنجاز المؤشرات (%)",
        "Indicator achievement (%)",
    ),
    "chart.expected": ("Attendu à date", "المتوقع حاليا", "Expected by now"),
    "chart.alt": (
        "Graphique en barres : pourcentage réalisé de chaque indicateur et niveau attendu à date. Les mêmes données figurent dans le tableau « Données du graphique ».",
        "رسم بياني بالأعمدة: نسبة إنجاز كل مؤشر والمستوى المتوقع حاليا. نفس المعطيات موجودة في جدول «بيانات الرسم البياني».",
        "Bar chart: percentage achieved for each indicator and the level expected by now. The same data is in the “Chart data” table.",
    ),
    "chart.none": ("Aucun indicateur", "لا توجد مؤشرات", "No indicator"),
    # File names
    "file.pack": ("dossier-seance", "ملف-الاجتماع", "meeting-pack"),
}

_INDEX: dict[str, int] = {"fr": 0, "ar": 1, "en": 2}
_NO_BREAK = "\u00a0"


def _french_typography(text: str) -> str:
    """Non-breaking spaces before high punctuation and inside guillemets."""
    text = re.sub(r" ([:;?!»])", _NO_BREAK + r"\1", text)
    return text.replace("« ", "«" + _NO_BREAK)


STRINGS: dict[str, dict[str, str]] = {
    key: {
        "fr": _french_typography(fr),
        "ar": ar,
        "en": en,
    }
    for key, (fr, ar, en) in _CATALOGUE.items()
}


def language_or_default(language: object) -> Language:
    """A known language code, else French."""
    for known in LANGUAGES:
        if language == known:
            return known
    return DEFAULT_LANGUAGE


def translate(key: str, language: str, **values: object) -> str:
    """The fixed string `key` in `language` (French if missing), with `values` filled in."""
    entry = STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(language_or_default(language), entry[DEFAULT_LANGUAGE])
    return text.format(**values) if values else text


def label(code: object, language: str) -> str:
    """A flag, status or indicator-status code in words; unknown codes shown as they are."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return translate("status.unknown", language)
    for prefix in ("flag", "status", "indicator", "kind"):
        key = f"{prefix}.{code}"
        if key in STRINGS:
            return translate(key, language)
    return str(code)


def is_rtl(language: str) -> bool:
    """True for right-to-left languages."""
    return language in RTL_LANGUAGES


def locale_of(language: str) -> str:
    """The babel locale for a language."""
    return LOCALES[language_or_default(language)]


def as_date(value: object) -> dt.date | None:
    """A date from a date, datetime, Timestamp or ISO string; None when missing or unreadable."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    if pd.isna(stamp):
        return None
    return stamp.date()


def format_day(value: object, language: str, style: Literal["full", "short"] = "full") -> str:
    """A date in words: `lundi 7 décembre 2026`, `الاثنين، 7 دجنبر 2026`; — when missing."""
    day = as_date(value)
    if day is None:
        return MISSING
    # Short: `7 déc. 2026`; Arabic keeps the month name, its numeric form reorders in RTL.
    pattern = style if style == "full" else ("long" if is_rtl(language) else "medium")
    return str(babel_format_date(day, format=pattern, locale=locale_of(language)))


def format_fraction(value: object, language: str) -> str:
    """A fraction as a whole percentage (0.456 → `46 %`); — when missing."""
    number = _as_float(value)
    if number is None:
        return MISSING
    return str(format_percent(number, locale=locale_of(language)))


def format_number(value: object, language: str) -> str:
    """A number with the locale's separators, at most two decimals; — when missing."""
    number = _as_float(value)
    if number is None:
        return MISSING
    return str(format_decimal(round(number, 2), format="#,##0.##", locale=locale_of(language)))


def _as_float(value: object) -> float | None:
    """A finite float, or None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
