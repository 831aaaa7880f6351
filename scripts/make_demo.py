"""Build the bundled demo workbooks in config/demo/ (run once; the .xlsx files are committed).

The demo tells a story as of Monday 7 December 2026 (the date the README's command fixes):
some activities late, some at risk, a steering committee next week, a report due in 14 days
and another in 30, and the mess real sheets carry (text dates, "45 %" and "0,45", a title
above the header, a blank row, an unknown status, an unreadable date, a bad e-mail).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from openpyxl.styles import Font, PatternFill

D = dt.date
OUT = Path(__file__).resolve().parents[1] / "config" / "demo"

ACTIVITY_HEADER = [
    "ID", "Résultat", "Activité", "Responsable", "Email responsable", "Partenaire",
    "Début prévu", "Fin prévue", "Échéance contractuelle", "Avancement (%)", "Statut",
    "Date de réalisation", "Dernière mise à jour", "Bailleur", "Budget prévu (MAD)",
    "Budget consommé (MAD)", "Commentaire", "Localisation",
]

PEOPLE = {
    "Salma Benali": "salma.benali@example.org",
    "Youssef Amrani": "youssef.amrani@example.org",
    "Fatima Zahra Ouali": "fz.ouali@example.org",
    "Hicham Idrissi": "hicham.idrissi@example.org",
    "Nadia El Fassi": "nadia.elfassi@example.org",
    "Karim Tazi": "karim.tazi@example.org",
}

BROKEN_EMAILS = {"A5.7": "h.idrissi@"}  # the bad address the checks report

# ID, result, activity, owner, partner, start, end, deadline, progress, status, done, updated,
# funder, budget planned, budget spent, comment, place
TPM_ACTIVITIES: list[tuple] = [
    ("A1.1", "R1", "Diagnostic territorial migration & développement (8 communes)", "Salma Benali", "Université Ibn Zohr", D(2025, 3, 1), D(2025, 6, 30), None, "100 %", "Terminée", "15/07/2025", D(2025, 7, 16), "AFD", "180 000", "176 500,00", "Rapport validé en COPIL", "Agadir Ida-Outanane"),
    ("A1.2", "R1", "Ateliers de concertation communaux sur l'accueil des migrants", "Salma Benali", "Conseil régional Souss-Massa", D(2025, 5, 1), D(2025, 10, 31), None, 1, "Terminée", D(2025, 10, 20), D(2025, 10, 21), "AFD", 95000, 91200, "", "Inezgane"),
    ("A1.3", "R1", "Intégration d'un volet migration dans 6 Plans d'action communaux", "Salma Benali", "Communes partenaires", D(2025, 11, 1), D(2026, 11, 30), None, "70 %", "En cours", None, "20/11/2026", "AFD", 120000, 64000, "2 PAC adoptés, 4 en discussion", "Souss-Massa"),
    ("A1.4", "R1", "Formation des élus et cadres communaux (gouvernance des migrations)", "Youssef Amrani", "DGCT", D(2026, 1, 15), D(2026, 12, 15), None, "0,55", "En cours", None, "1 déc. 2026", "AFD", "150 000", "70 000", "", "Agadir"),
    ("A1.5", "R1", "Guide méthodologique de territorialisation", "Salma Benali", "", D(2026, 9, 1), D(2027, 3, 31), None, 0, "Non démarrée", None, D(2026, 11, 25), "AFD", 60000, 0, "Attente du recrutement du consultant", ""),
    ("A1.6", "R1", "Plateforme régionale de concertation migration (3 réunions/an)", "Youssef Amrani", "Wilaya Souss-Massa", D(2025, 6, 1), D(2027, 12, 31), None, "60 %", "En cours", None, "2026-11-30", "AFD", 75000, 30500, "", "Agadir"),
    ("A2.1", "R2", "Ouverture de l'Espace Migrants d'Agadir", "Fatima Zahra Ouali", "Entraide nationale", D(2025, 4, 1), D(2025, 9, 30), None, 1, "Terminée", "30/10/2025", D(2025, 11, 2), "AFD", 210000, 214300, "Ouverture retardée (travaux)", "Agadir"),
    ("A2.2", "R2", "Ouverture de l'Espace Migrants de Tiznit", "Fatima Zahra Ouali", "Province de Tiznit", D(2026, 1, 1), D(2026, 10, 31), D(2026, 11, 30), "80 %", "En cours", None, "18/11/2026", "AFD", 190000, 150000, "Local attribué, équipement en cours", "Tiznit"),
    ("A2.3", "R2", "Recrutement et formation de 12 médiateurs interculturels", "Fatima Zahra Ouali", "", D(2025, 9, 1), D(2026, 6, 30), None, 1, "Terminée", D(2026, 6, 20), D(2026, 6, 22), "AFD", 140000, 133000, "", ""),
    ("A2.4", "R2", "Permanences juridiques et sociales (accompagnement individuel)", "Hicham Idrissi", "Barreau d'Agadir", D(2025, 10, 1), D(2027, 9, 30), None, "62 %", "En cours", None, "03/12/2026", "AFD", 260000, 120400, "", "Agadir, Tiznit"),
    ("A2.5", "R2", "Cartographie des services d'accueil (annuaire bilingue)", "Hicham Idrissi", "", D(2026, 3, 1), D(2026, 9, 30), None, "30 %", "En cours", None, "12/09/2026", "AFD", 40000, 12000, "", ""),
    ("A2.6", "R2", "Campagne d'information sur l'accès aux droits (radio, réseaux sociaux)", "Nadia El Fassi", "Radio Plus Agadir", D(2026, 10, 1), D(2027, 2, 28), None, "45 %", "En cours", None, "2026-11-10", "AFD", 85000, 9000, "", ""),
    ("A2.7", "R2", "Dispositif de référencement santé (conventions avec 4 centres)", "Hicham Idrissi", "Délégation de la santé", D(2026, 6, 1), D(2026, 12, 20), None, "40 %", "En cours", None, "25/11/2026", "AFD", 55000, 21000, "", ""),
    ("A2.8", "R2", "Équipement informatique des Espaces Migrants", "Fatima Zahra Ouali", "", D(2026, 11, 1), D(2027, 1, 31), None, "", "En attente", None, None, "AFD", 70000, 0, "Statut à préciser", ""),
    ("A3.1", "R3", "Forum de l'investissement de la diaspora Souss-Massa (Paris, Agadir)", "Karim Tazi", "CRI Souss-Massa", D(2025, 9, 1), D(2026, 5, 31), None, 1, "Terminée", "12 juin 2026", D(2026, 6, 15), "UE", 320000, 298000, "", "Paris ; Agadir"),
    ("A3.2", "R3", "Appel à projets « Diaspora & territoires » (2 éditions)", "Karim Tazi", "", D(2025, 11, 1), D(2027, 6, 30), None, "68 %", "En cours", None, "2026-12-01", "UE", 90000, 41000, "1re édition : 18 projets retenus", ""),
    ("A3.3", "R3", "Accompagnement technique des porteurs de projets (incubation)", "Karim Tazi", "Réseau Entreprendre Maroc", D(2026, 1, 1), D(2027, 6, 30), None, "64 %", "En cours", None, "28/11/2026", "UE", 410000, 150000, "", "Agadir"),
    ("A3.4", "R3", "Fonds de garantie des micro-investissements (convention bancaire)", "Karim Tazi", "Banque partenaire", D(2026, 2, 1), D(2026, 9, 30), D(2026, 10, 31), "60 %", "En cours", None, "15/10/2026", "UE", 500000, 0, "Convention en relecture juridique", ""),
    ("A3.5", "R3", "Missions de la diaspora dans les douars d'origine (Anti-Atlas)", "Nadia El Fassi", "Associations villageoises", D(2026, 9, 1), D(2027, 4, 30), None, 0, "Non démarrée", None, "2026-11-20", "UE", 110000, 0, "", "Tafraout"),
    ("A3.6", "R3", "Étude sur les transferts de fonds et l'investissement productif", "Salma Benali", "Université Ibn Zohr", D(2026, 4, 1), D(2026, 12, 31), None, "92 %", "En cours", None, "02/12/2026", "UE", 80000, 48000, "", ""),
    ("A3.7", "R3", "Capitalisation vidéo des parcours d'investisseurs", "Nadia El Fassi", "", D(2026, 5, 1), D(2026, 11, 30), None, "90 %", "En cours", None, "fin novembre", "UE", 45000, 41000, "Montage final", ""),
    ("A4.1", "R4", "Diagnostic organisationnel de 15 associations partenaires", "Youssef Amrani", "", D(2025, 4, 1), D(2025, 8, 31), None, 1, "Terminée", D(2025, 8, 25), D(2025, 8, 25), "AFD", 60000, 58000, "", ""),
    ("A4.2", "R4", "Parcours de formation en gestion de projet (5 modules)", "Youssef Amrani", "", D(2025, 10, 1), D(2026, 12, 31), None, "95 %", "En cours", None, "27/11/2026", "AFD", 130000, 90000, "Module 4 en cours", ""),
    ("A4.3", "R4", "Micro-subventions aux associations (appel à initiatives)", "Hicham Idrissi", "", D(2026, 3, 1), D(2026, 11, 15), None, "75 %", "En cours", None, "30/10/2026", "AFD", 250000, 190000, "", ""),
    ("A4.4", "R4", "Échanges d'expériences France–Maroc (associations de migrants)", "Nadia El Fassi", "FORIM", D(2026, 10, 15), D(2027, 5, 31), None, 0, "Non démarrée", None, "2026-11-30", "AFD", 95000, 0, "", "Montreuil"),
    ("A4.5", "R4", "Accompagnement à la recherche de financements (3 associations)", "Youssef Amrani", "", D(2026, 6, 1), D(2027, 6, 30), None, "20 %", "Suspendue", None, "2026-09-15", "AFD", 35000, 5000, "Suspendu en attente de la révision budgétaire", ""),
    ("A5.1", "R5", "Système de suivi-évaluation et tableau de bord", "Salma Benali", "", D(2025, 3, 1), D(2025, 6, 30), None, 1, "Terminée", D(2025, 6, 10), D(2025, 6, 10), "AFD", 40000, 38000, "", ""),
    ("A5.2", "R5", "Enquête de référence (baseline) auprès des bénéficiaires", "Salma Benali", "Cabinet d'études", D(2025, 4, 1), D(2025, 7, 31), None, 1, "Terminée", "29/08/2025", D(2025, 9, 1), "AFD", 90000, 90000, "", ""),
    ("A5.3", "R5", "Évaluation à mi-parcours", "Salma Benali", "Évaluateur externe", D(2026, 10, 1), D(2027, 1, 31), None, "25 %", "En cours", None, "04/12/2026", "AFD", 150000, 30000, "", ""),
    ("A5.4", "R5", "Réunions du comité de pilotage (COPIL) semestrielles", "Salma Benali", "", D(2025, 6, 1), D(2027, 12, 31), None, "60 %", "En cours", None, D(2026, 12, 1), "AFD", 60000, 24000, "", ""),
    ("A5.5", "R5", "Audit financier annuel 2025", "Youssef Amrani", "Cabinet d'audit", D(2026, 2, 1), D(2026, 4, 30), None, 1, "Terminée", "15/05/2026", "15/05/2026", "UE", 70000, 70000, "", ""),
    ("A5.6", "R5", "Séminaire de capitalisation régional", "Nadia El Fassi", "", D(2026, 11, 1), D(2027, 10, 31), None, 0, "Annulée", None, "2026-10-01", "UE", 80000, 0, "Remplacé par la capitalisation vidéo", ""),
    ("A5.7", "R5", "Publication des données du projet (IATI)", "Hicham Idrissi", "", D(2026, 7, 1), D(2026, 12, 31), None, "0.3", "En cours", None, "20/11/2026", "UE", 15000, 3000, "", ""),
]

TPM_INDICATORS = [
    ["Code", "Niveau", "Résultat", "Libellé", "Unité", "Valeur de référence", "Cible", "Échéance cible", "Sens", "Calcul", "Agrégation", "Fréquence", "Responsable"],
    ["IO1", "Impact", "", "Projets d'investissement de la diaspora financés dans la région", "nombre", 0, 40, "31/12/2027", "hausse", "saisie", "somme", "trimestrielle", "Karim Tazi"],
    ["OS1", "Effet", "", "Migrants accueillis satisfaits des services (enquête)", "%", 35, 75, "31/12/2027", "hausse", "saisie", "dernière", "semestrielle", "Salma Benali"],
    ["OS2", "Effet", "", "Délai moyen d'obtention d'un rendez-vous juridique", "jours", 30, 10, "30/06/2027", "baisse", "saisie", "dernière", "trimestrielle", "Hicham Idrissi"],
    ["R1.1", "Produit", "R1", "Plans d'action communaux intégrant la migration", "nombre", 0, 6, "31/12/2026", "hausse", "saisie", "dernière", "trimestrielle", "Salma Benali"],
    ["R1.2", "Produit", "R1", "Élus et cadres communaux formés", "nombre", 0, 120, "31/12/2026", "hausse", "saisie", "somme", "trimestrielle", "Youssef Amrani"],
    ["R2.1", "Produit", "R2", "Personnes migrantes accompagnées par les Espaces Migrants", "nombre", 0, 2400, "30/09/2027", "hausse", "saisie", "somme", "mensuelle", "Fatima Zahra Ouali"],
    ["R2.2", "Produit", "R2", "Activités d'accueil (R2) achevées", "nombre", 0, 8, "30/09/2027", "hausse", "activites_r2_terminees", "", "", "Fatima Zahra Ouali"],
    ["R3.1", "Produit", "R3", "Porteurs de projets de la diaspora accompagnés", "nombre", 0, 60, "30/06/2027", "hausse", "saisie", "dernière", "trimestrielle", "Karim Tazi"],
    ["R4.1", "Produit", "R4", "Associations partenaires ayant achevé le parcours de formation", "nombre", 0, 15, "31/12/2026", "hausse", "saisie", "dernière", "semestrielle", "Youssef Amrani"],
    ["G1", "Produit", "R5", "Taux d'exécution budgétaire", "%", 0, 100, "31/12/2027", "hausse", "execution_budgetaire", "", "", "Youssef Amrani"],
]

TPM_MEASURES = [
    ["Code indicateur", "Date", "Valeur", "Désagrégation", "Source"],
    ["IO1", D(2026, 3, 31), 4, "", "Registre CRI"],
    ["IO1", D(2026, 6, 30), 6, "", "Registre CRI"],
    ["IO1", "30/09/2026", 5, "", "Registre CRI"],
    ["OS1", D(2025, 9, 30), 35, "", "Enquête de référence"],
    ["OS1", D(2026, 6, 30), "58,5", "", "Enquête semestrielle"],
    ["OS2", D(2026, 3, 31), 24, "", "Registre des permanences"],
    ["OS2", D(2026, 9, 30), 17, "", "Registre des permanences"],
    ["R1.1", D(2026, 9, 30), 2, "", "Délibérations communales"],
    ["R1.2", D(2026, 3, 31), 18, "Femmes", "Listes de présence"],
    ["R1.2", D(2026, 3, 31), 22, "Hommes", "Listes de présence"],
    ["R1.2", D(2026, 9, 30), 15, "Femmes", "Listes de présence"],
    ["R1.2", D(2026, 9, 30), 19, "Hommes", "Listes de présence"],
    ["R2.1", "31/10/2026", 610, "Femmes", "Base de données EMA"],
    ["R2.1", "31/10/2026", 745, "Hommes", "Base de données EMA"],
    ["R2.1", "30/11/2026", 88, "Femmes", "Base de données EMA"],
    ["R2.1", "30/11/2026", 97, "Hommes", "Base de données EMA"],
    ["R3.1", D(2026, 9, 30), 31, "", "Fiches de suivi incubation"],
    ["R4.1", D(2026, 3, 31), 6, "", "Attestations"],
    ["R9.9", D(2026, 6, 30), 3, "", "Ligne d'un ancien cadre logique"],
]

TPM_COMMITTEES = [
    ["Date", "Heure", "Instance", "Lieu", "Participants", "Ordre du jour"],
    [D(2026, 6, 16), "10:00", "COPIL", "Wilaya Souss-Massa, Agadir", "copil@example.org; afd.rabat@example.org", "Bilan semestriel ; plan de travail S2"],
    ["14/12/2026", "10:00", "COPIL", "Wilaya Souss-Massa, Agadir", "copil@example.org; afd.rabat@example.org; conseil.regional@example.org", "Bilan annuel 2026 ; évaluation à mi-parcours ; plan de travail 2027"],
    [D(2027, 3, 10), "14:30", "Comité technique", "Espace Migrants d'Agadir", "salma.benali@example.org, fz.ouali@example.org, hicham.idrissi@example.org", "Suivi opérationnel R2 et R3"],
]

TPM_DELIVERABLES = [
    ["Bailleur", "Livrable", "Date limite", "Statut", "Responsable", "Email responsable", "Date de soumission"],
    ["AFD", "Rapport narratif intermédiaire 2026", "21/12/2026", "À faire", "Salma Benali", "salma.benali@example.org", None],
    ["AFD", "Rapport financier intermédiaire 2026", D(2027, 1, 6), "À faire", "Youssef Amrani", "youssef.amrani@example.org", None],
    ["UE", "Rapport annuel de mise en œuvre", D(2026, 11, 30), "À faire", "Karim Tazi", "karim.tazi@example.org", None],
    ["UE", "Plan de travail 2026", D(2026, 1, 31), "Soumis", "Salma Benali", "salma.benali@example.org", "05/02/2026"],
    ["AFD", "Rapport d'audit 2025", D(2026, 6, 30), "Validé", "Youssef Amrani", "youssef.amrani@example.org", D(2026, 6, 12)],
    # Two of the deliverables `Engagements` generates, as the team recorded them once handed in.
    ["AFD", "Rapport narratif semestriel", D(2026, 8, 29), "Soumis", "Salma Benali", "salma.benali@example.org", D(2026, 8, 27)],
    ["AFD", "Rapport financier semestriel", D(2026, 9, 28), "Validé", "Youssef Amrani", "youssef.amrani@example.org", D(2026, 9, 30)],
]

# Periodic targets: annual and semestrial, and Femmes/Hommes for R1.2 and R2.1.
TPM_TARGETS = [
    ["Code indicateur", "Période", "Désagrégation", "Cible"],
    ["R1.2", 2026, "", 120],
    ["R1.2", "2026-S1", "", 60],
    ["R1.2", "2026-S2", "", 60],
    ["R1.2", "2026", "Femmes", 60],
    ["R1.2", "2026", "Hommes", 60],
    ["R2.1", "2026", "", 1600],
    ["R2.1", "2026-S1", "", 400],
    ["R2.1", "2026-S2", "", 1200],
    ["R2.1", "2026", "Femmes", 800],
    ["R2.1", "2026", "Hommes", 800],
    ["R2.1", "2027", "", 800],
    ["OS1", "2026", "", 55],
    ["OS1", "2027", "", 75],
]

# Recurring reporting: AFD's semestrial narrative and financial reports, the EU's annual report.
TPM_COMMITMENTS = [
    ["Bailleur", "Livrable", "Périodicité", "Délai (jours)", "Début", "Fin", "Responsable", "Email responsable"],
    ["AFD", "Rapport narratif semestriel", "semestrielle", 60, D(2026, 1, 1), D(2027, 12, 31), "Salma Benali", "salma.benali@example.org"],
    ["AFD", "Rapport financier semestriel", "semestrielle", 90, D(2026, 1, 1), D(2027, 12, 31), "Youssef Amrani", "youssef.amrani@example.org"],
    ["UE", "Rapport annuel", "annuelle", 90, D(2026, 1, 1), D(2027, 12, 31), "Karim Tazi", "karim.tazi@example.org"],
]

INSER_ACTIVITIES: list[tuple] = [
    ("J1", "R1", "Accueil et bilan de compétences des migrants de retour", "Hicham Idrissi", "ANAPEC", D(2026, 1, 1), D(2026, 12, 31), None, "94 %", "En cours", None, "01/12/2026", "UE", 60000, 48000, "", "Agadir"),
    ("J2", "R1", "Formations qualifiantes (BTP, agroalimentaire, tourisme)", "Hicham Idrissi", "OFPPT", D(2026, 3, 1), D(2026, 11, 30), None, "0,6", "En cours", None, "15/11/2026", "UE", 220000, 150000, "", "Inezgane"),
    ("J3", "R2", "Accompagnement à la création d'activités génératrices de revenus", "Nadia El Fassi", "INDH", D(2026, 4, 1), D(2027, 3, 31), None, "30 %", "En cours", None, "20/11/2026", "UE", 300000, 90000, "", ""),
    ("J4", "R2", "Kit de démarrage (équipement) pour 40 micro-entreprises", "Nadia El Fassi", "", D(2026, 10, 1), D(2027, 2, 28), None, 0, "Non démarrée", None, "2026-11-25", "UE", 200000, 0, "", ""),
    ("J5", "R3", "Soutien psychosocial des personnes de retour", "Fatima Zahra Ouali", "", D(2026, 2, 1), D(2026, 10, 31), None, 1, "Terminée", "20/11/2026", D(2026, 11, 21), "UE", 50000, 52000, "", ""),
    (None, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None),
    ("J6", "R3", "Groupes de parole et médiation familiale", "Fatima Zahra Ouali", "", D(2026, 5, 1), D(2026, 12, 10), None, "50 %", "En cours", None, "05/11/2026", "UE", 30000, 12000, "", ""),
    ("J7", "R1", "Forum emploi des migrants de retour", "Hicham Idrissi", "", D(2026, 11, 15), D(2026, 12, 18), None, "20 %", "En cours", None, "04/12/2026", "UE", 40000, 5000, "", "Agadir"),
    ("J8", "R2", "Étude de marché des filières porteuses", "Nadia El Fassi", "", D(2026, 2, 1), D(2026, 5, 31), None, 1, "Terminée", "10/05/2026", "10/05/2026", "UE", 35000, 35000, "", ""),
]

INSER_INDICATORS = [
    TPM_INDICATORS[0],
    ["E1", "Effet", "", "Migrants de retour en emploi ou en activité 6 mois après", "%", 0, 60, "31/03/2027", "hausse", "saisie", "dernière", "semestrielle", "Hicham Idrissi"],
    ["P1", "Produit", "R1", "Personnes formées (formation qualifiante)", "nombre", 0, 150, "31/12/2026", "hausse", "saisie", "somme", "trimestrielle", "Hicham Idrissi"],
    ["P2", "Produit", "R2", "Activités génératrices de revenus créées", "nombre", 0, 40, "31/03/2027", "hausse", "saisie", "dernière", "trimestrielle", "Nadia El Fassi"],
    ["B1", "Produit", "", "Taux d'exécution budgétaire", "%", 0, 100, "31/03/2027", "hausse", "execution_budgetaire", "", "", "Nadia El Fassi"],
]

INSER_MEASURES = [
    TPM_MEASURES[0],
    ["E1", D(2026, 9, 30), 28, "", "Suivi à 6 mois"],
    ["P1", D(2026, 6, 30), 34, "Femmes", "Listes OFPPT"],
    ["P1", D(2026, 6, 30), 41, "Hommes", "Listes OFPPT"],
    ["P1", D(2026, 9, 30), 20, "Femmes", "Listes OFPPT"],
    ["P1", D(2026, 9, 30), 18, "Hommes", "Listes OFPPT"],
    ["P2", D(2026, 9, 30), 9, "", "Fiches AGR"],
]

INSER_COMMITTEES = [
    TPM_COMMITTEES[0],
    [D(2026, 12, 18), "09:30", "Comité de suivi UE", "Délégation de l'UE, Rabat (visio)", "ue.delegation@example.org; nadia.elfassi@example.org", "Point d'avancement ; révision budgétaire"],
]

INSER_DELIVERABLES = [
    TPM_DELIVERABLES[0],
    ["UE", "Rapport intermédiaire d'avancement", D(2026, 12, 21), "À faire", "Nadia El Fassi", "nadia.elfassi@example.org", None],
    ["UE", "Rapport final", D(2027, 5, 31), "À faire", "Nadia El Fassi", "nadia.elfassi@example.org", None],
]


def activity_rows(rows: list[tuple]) -> list[list]:
    """Activity tuples → sheet rows, with each owner's e-mail (one deliberately broken)."""
    out = []
    for row in rows:
        if row[0] is None:
            out.append([None] * len(ACTIVITY_HEADER))
            continue
        ident, result, name, owner, partner, *rest = row
        email = BROKEN_EMAILS.get(ident, PEOPLE[owner])
        out.append([ident, result, name, owner, email, partner, *rest])
    return out


def write_tab(book: openpyxl.Workbook, title: str, rows: list[list], banner: str | None = None) -> None:
    """One tab: an optional title line and a blank line above the header, then the rows."""
    sheet = book.create_sheet(title)
    if banner:
        sheet.append([banner])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([])
    for row in rows:
        sheet.append(row)
    header_row = 3 if banner else 1
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD/MM/YYYY"


def build(path: Path, name: str, activities: list[tuple], tabs: dict[str, list[list]]) -> None:
    """A whole demo workbook."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    write_tab(book, "Activités", [ACTIVITY_HEADER, *activity_rows(activities)], banner=name)
    for title, rows in tabs.items():
        write_tab(book, title, rows)
    book.save(path)


def main() -> None:
    """Write both demo workbooks."""
    OUT.mkdir(parents=True, exist_ok=True)
    build(
        OUT / "tpm.xlsx",
        "Plan d'action TPM — Territorialisation des politiques migratoires (mise à jour hebdomadaire)",
        TPM_ACTIVITIES,
        {"Indicateurs": TPM_INDICATORS, "Mesures": TPM_MEASURES, "Comités": TPM_COMMITTEES, "Échéances": TPM_DELIVERABLES,
         "Cibles": TPM_TARGETS, "Engagements": TPM_COMMITMENTS},
    )
    build(
        OUT / "inser.xlsx",
        "INSER — Insertion économique des migrants de retour",
        INSER_ACTIVITIES,
        {"Indicators": INSER_INDICATORS, "Mesures": INSER_MEASURES, "Comités": INSER_COMMITTEES, "Echeances": INSER_DELIVERABLES},
    )


if __name__ == "__main__":
    main()
