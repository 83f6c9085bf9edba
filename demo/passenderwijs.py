"""Passenderwijs (PO2604): twenty-three fictional pupils, through every stage of the process.

Every date counts back from the seeding day; the comments give the story, the tables the facts.
"""

from __future__ import annotations

from datetime import date, timedelta

from application.commands import ExtendTlvs
from application.handlers import tlvs
from demo.dates import DemoCalendar, first_school_day, school_year_end, weekday_on_or_before
from demo.desk import COMMITTEE, DemoDesk
from demo.stories import (
    Advice,
    Arranged,
    ArrangementExtended,
    Decided,
    EndedEarly,
    Evaluated,
    LapsedUnredeemed,
    LatenessExplained,
    LatenessRuled,
    LbtAdvised,
    LbtAsked,
    Left,
    Objected,
    ObjectionDecided,
    ParentViewGiven,
    Pupil,
    Redeemed,
    RegisteredAtSchool,
    Request,
    Resumed,
    Shown,
    Story,
    Suspended,
    TlvExtended,
    TlvTerms,
    ZorgplichtExtended,
    play,
)
from domain.arrangement import EvaluationParty, GoalAttainment
from domain.deadlines import Channel, add_months
from domain.expert_advice import Qualification
from domain.objection import ObjectionOutcome, Objector, TlvConsequence
from domain.pupil import LeavingReason
from domain.support_request import ParentView
from domain.tlv import FundingCategory, TlvType

_AMBULANT = "Ambulante dienst Passenderwijs"
_ORTHO, _PSYCH = Qualification.ORTHOPEDAGOOG, Qualification.PSYCHOLOOG
_SBO, _SO = "17XH00", "17XC00"
_SCHOOL, _PARENTS = EvaluationParty.SCHOOL, EvaluationParty.PARENTS
_MET, _PARTLY_MET = GoalAttainment.MET, GoalAttainment.PARTLY_MET


async def seed_passenderwijs(desk: DemoDesk) -> None:
    cal = desk.calendar
    stories = (
        *_arrangements(cal),
        *_pending_requests(cal),
        *_tlvs(cal),
        *_objections(cal),
        *_pending_tlv_applications(cal),
        *_zorgplicht_and_lapse(cal),
    )
    played = await play(desk, stories, first_enrolment=first_school_day)
    # Finn's and Mila's TLVs end this school year: the board extends them all at once.
    bulk = (played["finn"].of("Tlv"), played["mila"].of("Tlv"))
    year = cal.this_school_year_end.year
    outcome = await desk.run(
        tlvs.extend_tlvs,
        ExtendTlvs(
            tlv_ids=bulk,
            valid_until=school_year_end(cal.today, years=2),
            regulation=(
                f"Bestuursbesluit verlenging TLV's {year}: TLV's die op 31-07-{year} aflopen, "
                f"lopen zonder nieuwe beoordeling door tot 31-07-{year + 1}."
            ),
        ),
        name="bulk-extension",
        actor=COMMITTEE,
    )
    if outcome.failed:
        raise ValueError(f"The demo's bulk extension failed for {outcome.failed}.")
    for tlv_id in bulk:
        desk.highlight("TLV extended by the bulk administrative extension", "Tlv", tlv_id)


def _arrangements(cal: DemoCalendar) -> tuple[Story, ...]:
    ago = cal.ago
    end = cal.last_school_year_end

    def before_end(days: int) -> date:
        return weekday_on_or_before(end - timedelta(days=days))

    return (
        # Sanne: ambulante begeleiding, running, evaluated half-way by the school.
        Story(
            "sanne",
            Pupil("Sanne de Graaf", cal.born(7, 3, 14), "GM0632", "17XF00"),
            Request(
                "ab",
                "Sanne raakt in de groep snel overprikkeld; hoe houdt de leerkracht haar erbij?",
                ago(150),
                ago(146),
                arrangement_type="ambulante-begeleiding",
            ),
            Decided(
                ago(139),
                ago(138),
                "Passend binnen het arrangement ambulante "
                "begeleiding; doelen: zelfregulatie en taakaanpak.",
            ),
            Arranged(_AMBULANT, 40, ago(132)),
            Evaluated(
                _SCHOOL,
                _PARTLY_MET,
                ago(20),
                "Taakaanpak verbeterd; zelfregulatie bij drukte blijft lastig.",
            ),
            Shown("Arrangement running, evaluated half-way", "Arrangement"),
        ),
        # Daan: an onderwijsassistent for a year, extended after the interim evaluation.
        Story(
            "daan",
            Pupil("Daan Vermeulen", cal.born(9, 11, 2), "GM0736", "17XE00"),
            Request(
                "oa",
                "Daan heeft een eigen leerlijn rekenen en lezen; extra handen in de groep nodig.",
                ago(290),
                ago(285),
                arrangement_type="onderwijsassistent",
            ),
            Decided(ago(271), ago(270), "Inzet onderwijsassistent 8 uur per week."),
            Arranged("Kindcentrum De Turfschuur", 1_250_000, ago(262)),
            Evaluated(
                _SCHOOL,
                _PARTLY_MET,
                ago(35),
                "Vooruitgang bij lezen; rekenen vraagt nog een half jaar ondersteuning.",
            ),
            ArrangementExtended(
                add_months(ago(262), 17) - timedelta(days=1),
                ago(30),
                "Tussenevaluatie: de doelen voor rekenen zijn nog niet bereikt.",
                amount_added=450_000,
            ),
            Shown("Arrangement extended after its evaluation", "Arrangement"),
        ),
        # Noor: arrangement gedrag, ended early because the goals were met; both evaluated.
        Story(
            "noor",
            Pupil("Noor Bakker", cal.born(6, 5, 21), "GM1904", "17XA00"),
            Request(
                "gedrag",
                "Noor loopt vast in de overgang naar groep 3; handelingsverlegenheid bij gedrag.",
                ago(245),
                ago(240),
                arrangement_type="gedrag",
            ),
            Decided(ago(229), ago(228), "Arrangement gedrag, 60 uur begeleiding."),
            Arranged(_AMBULANT, 60, ago(220)),
            EndedEarly(
                ago(45),
                "Doelen behaald; de school zet de aanpak voort binnen de basisondersteuning.",
            ),
            *(
                Evaluated(
                    party, _MET, on, "Noor gaat met plezier naar school en werkt zelfstandig."
                )
                for party, on in ((_SCHOOL, ago(44)), (_PARENTS, ago(40)))
            ),
            Shown("Arrangement ended early, evaluated by school and parents", "Arrangement"),
        ),
        # Luuk: plusklas, ended early when the family moved out of the region.
        Story(
            "luuk",
            Pupil("Luuk van Dijk", cal.born(10, 8, 30), "GM0589", "17XJ00"),
            Request(
                "plusklas",
                "Luuk verveelt zich en haakt af; verrijking buiten de groep gevraagd.",
                ago(200),
                ago(196),
                arrangement_type="plusklas",
            ),
            Decided(ago(186), ago(185), "Plaatsing in de plusklas, een dagdeel per week."),
            Arranged("Plusklas Oudewater", 80, ago(176)),
            EndedEarly(ago(62), "Het gezin verhuist buiten de regio."),
            Evaluated(
                _PARENTS,
                _PARTLY_MET,
                ago(60),
                "Luuk ging weer graag naar school; jammer dat het stopt.",
            ),
            Left(LeavingReason.MOVED_OUT_OF_REGION, ago(56)),
        ),
        # Fenna: medisch-lichamelijk arrangement that runs to the end of a calendar year.
        Story(
            "fenna",
            Pupil("Fenna Hoekstra", cal.born(8, 1, 9), "GM0335", "17XK00"),
            Request(
                "medisch",
                "Fenna heeft na een operatie aangepast meubilair en hulp bij verzorging nodig.",
                ago(100),
                ago(97),
                arrangement_type="medisch-lichamelijk",
            ),
            Decided(ago(90), ago(89), "Medisch-lichamelijk arrangement tot 31 december."),
            Arranged(
                "Basisschool De Kasteelhof",
                850_000,
                ago(84),
                end_on=date(add_months(ago(84), 6).year, 12, 31),
            ),
        ),
        # Milan: ambulante begeleiding refused, with reasons.
        Story(
            "milan",
            Pupil("Milan Jansen", cal.born(11, 6, 17), "GM0736", "17XD00"),
            Request(
                "ab",
                "Milan heeft moeite met plannen en huiswerk in groep 8.",
                ago(80),
                ago(75),
                arrangement_type="ambulante-begeleiding",
            ),
            Decided(
                ago(68),
                ago(67),
                "Afgewezen: planning en huiswerkbegeleiding vallen binnen de basisondersteuning "
                "van de school; de IB'er kan hiervoor de consultatie van Passenderwijs inzetten.",
                granted=False,
            ),
        ),
        # Amira: arrived from abroad, nieuwkomersarrangement.
        Story(
            "amira",
            Pupil("Amira Haddad", cal.born(7, 10, 4), "GM0632", "17XG00", enrolled_on=ago(130)),
            Request(
                "nieuwkomers",
                "Amira spreekt nog geen Nederlands; schakelklas en NT2-ondersteuning gevraagd.",
                ago(120),
                ago(118),
                arrangement_type="nieuwkomers",
            ),
            Decided(ago(112), ago(111), "Nieuwkomersarrangement voor een jaar."),
            Arranged("Schakelklas Woerden", 600_000, ago(105)),
        ),
        # Lars: an arrangement that ended with group 8; he left for secondary school.
        Story(
            "lars",
            Pupil("Lars Meijer", cal.born(12, 2, 26), "GM0632", "17XG00"),
            Request(
                "ab",
                "Lars heeft faalangst bij toetsen; begeleiding richting de overstap naar het vo.",
                before_end(320),
                before_end(316),
                arrangement_type="ambulante-begeleiding",
            ),
            Decided(before_end(306), before_end(305), "Ambulante begeleiding tot de zomer."),
            Arranged(_AMBULANT, 30, before_end(298), end_on=end),
            Evaluated(_SCHOOL, _MET, before_end(10), "Lars maakte de eindtoets met vertrouwen."),
            Left(LeavingReason.TRANSFER_TO_VO, end),
        ),
    )


def _pending_requests(cal: DemoCalendar) -> tuple[Story, ...]:
    ago = cal.ago
    return (
        # Bram: just submitted.
        Story(
            "bram",
            Pupil("Bram Smit", cal.born(6, 9, 12), "GM1904", "17XB00"),
            Request(
                "ab",
                "Bram praat niet in de klas (selectief mutisme?); hoe begeleiden we hem?",
                ago(3),
                arrangement_type="ambulante-begeleiding",
            ),
            Shown("Request just submitted, awaiting the completeness check", "SupportRequest"),
        ),
        # Julia: incomplete, the school has to add two documents.
        Story(
            "julia",
            Pupil("Julia Visser", cal.born(9, 4, 3), "GM0589", "17XJ00"),
            Request(
                "oa",
                "Julia heeft intensieve begeleiding nodig bij rekenen en taal.",
                ago(16),
                ago(12),
                arrangement_type="onderwijsassistent",
                missing=("Groeidocument met handelingsdeel", "Verslag van het MDO met ouders"),
            ),
            Shown("Request incomplete: two documents missing", "SupportRequest"),
        ),
        # Sem: complete, then suspended while a psychological assessment is awaited.
        Story(
            "sem",
            Pupil("Sem de Jong", cal.born(8, 12, 8), "GM0335", "17XL00"),
            Request(
                "gedrag",
                "Sem reageert fysiek bij conflicten; de school zoekt handelingsadvies.",
                ago(40),
                ago(36),
                arrangement_type="gedrag",
            ),
            Suspended(
                ago(28),
                "Wacht op het psychodiagnostisch onderzoek dat de school heeft aangevraagd.",
                complete_by=cal.ahead(14),
            ),
            Shown(
                "Invited to complete (Awb 4:5): the decision term stands still until the "
                "completion term ends",
                "SupportRequest",
            ),
        ),
        # Lieke: suspended for a talk with the parents, resumed, awaiting the decision.
        Story(
            "lieke",
            Pupil("Lieke Mulder", cal.born(10, 7, 19), "GM0736", "17XD01"),
            Request(
                "cognitief",
                "Lieke functioneert op een eigen leerlijn; cognitief arrangement gevraagd.",
                ago(50),
                ago(45),
                arrangement_type="cognitief",
            ),
            Suspended(ago(38), "Aanvullend gesprek met ouders gepland.", complete_by=ago(24)),
            Resumed(ago(30)),
            Shown(
                "Complete request awaiting its decision (term moved by a suspension)",
                "SupportRequest",
            ),
        ),
    )


def _tlvs(cal: DemoCalendar) -> tuple[Story, ...]:
    """Granted TLVs: redeemed, extended individually, and two for the bulk extension."""
    ago = cal.ago
    return (
        # Thijs: SBO TLV, redeemed at the SBO school.
        Story(
            "thijs",
            Pupil("Thijs Bos", cal.born(9, 2, 11), "GM0632", "17XF00"),
            Request(
                "tlv",
                "Thijs loopt ondanks arrangement twee jaar achter; SBO lijkt passend.",
                ago(335),
                ago(330),
                tlv_type=TlvType.SBO,
                advices=(
                    Advice(_ORTHO, "orthopedagoog-1", ago(318), "Toelaatbaar tot het SBO."),
                    Advice(
                        Qualification.PEDAGOOG, "pedagoog-1", ago(312), "Eens met SBO-plaatsing."
                    ),
                ),
            ),
            Decided(
                ago(300),
                ago(299),
                "Toelaatbaar tot het SBO.",
                tlv=TlvTerms(None, ago(300), school_year_end(ago(300), years=2)),
            ),
            Redeemed(_SBO, ago(285)),
            Shown("SBO TLV, redeemed", "Tlv"),
        ),
        # Evi: SO TLV (cluster 4) ending this school year, extended after a re-assessment.
        Story(
            "evi",
            Pupil("Evi Kok", cal.born(10, 6, 5), "GM1904", "17XA00"),
            Request(
                "tlv",
                "Evi heeft ernstige gedragsproblemen; de school kan haar niet meer bieden.",
                ago(650),
                ago(645),
                tlv_type=TlvType.SO,
                advices=(
                    Advice(_PSYCH, "psycholoog-1", ago(632), "Toelaatbaar tot het SO, cluster 4."),
                    Advice(
                        Qualification.KINDERPSYCHIATER,
                        "kinderpsychiater-1",
                        ago(626),
                        "SO-plaatsing met behandeling aanbevolen.",
                    ),
                ),
            ),
            Decided(
                ago(615),
                ago(614),
                "Toelaatbaar tot het SO (gedrag).",
                tlv=TlvTerms(FundingCategory.LOW, ago(615), cal.this_school_year_end),
            ),
            Redeemed(_SO, ago(600)),
            TlvExtended(school_year_end(cal.today, years=3), ago(25)),
            Shown("SO TLV extended after an individual re-assessment", "Tlv"),
        ),
        # Finn and Mila: TLVs that end this school year, redeemed, for the bulk extension.
        Story(
            "finn",
            Pupil("Finn Peters", cal.born(11, 1, 27), "GM0632", "17XG00"),
            Request(
                "tlv",
                "Finn heeft een meervoudige beperking en intensieve zorg nodig.",
                ago(575),
                ago(570),
                tlv_type=TlvType.SO,
                advices=(
                    Advice(_ORTHO, "orthopedagoog-2", ago(558), "Toelaatbaar tot het SO."),
                    Advice(
                        Qualification.ARTS,
                        "jeugdarts-1",
                        ago(552),
                        "Medische zorg op school nodig.",
                    ),
                ),
            ),
            Decided(
                ago(545),
                ago(544),
                "Toelaatbaar tot het SO.",
                tlv=TlvTerms(FundingCategory.MEDIUM, ago(545), cal.this_school_year_end),
            ),
            Redeemed(_SO, ago(530)),
        ),
        Story(
            "mila",
            Pupil("Mila de Wit", cal.born(9, 10, 15), "GM0335", "17XK00"),
            Request(
                "tlv",
                "Mila heeft een kleine groep en veel structuur nodig.",
                ago(535),
                ago(530),
                tlv_type=TlvType.SBO,
                advices=(
                    Advice(_ORTHO, "orthopedagoog-1", ago(518), "Toelaatbaar tot het SBO."),
                    Advice(
                        Qualification.MAATSCHAPPELIJK_WERKER,
                        "maatschappelijk-werker-1",
                        ago(511),
                        "Gezin steunt SBO-plaatsing.",
                    ),
                ),
            ),
            Decided(
                ago(505),
                ago(504),
                "Toelaatbaar tot het SBO.",
                tlv=TlvTerms(None, ago(505), cal.this_school_year_end),
            ),
            Redeemed(_SBO, ago(490)),
        ),
    )


def _objections(cal: DemoCalendar) -> tuple[Story, ...]:
    ago = cal.ago
    ruben_until = school_year_end(ago(95), years=2)
    return (
        # Ruben: SO TLV category LOW; the parents object, the LBT advises, the SWV revises to
        # MEDIUM.
        Story(
            "ruben",
            Pupil("Ruben Dekker", cal.born(8, 4, 22), "GM0589", "17XJ00"),
            Request(
                "tlv",
                "Ruben heeft een ernstige spraak-taal- en gedragsproblematiek.",
                ago(125),
                ago(120),
                tlv_type=TlvType.SO,
                advices=(
                    Advice(_ORTHO, "orthopedagoog-2", ago(108), "Toelaatbaar tot het SO."),
                    Advice(
                        Qualification.KINDERPSYCHIATER,
                        "kinderpsychiater-1",
                        ago(102),
                        "SO met intensieve begeleiding.",
                    ),
                ),
            ),
            Decided(
                ago(95),
                ago(94),
                "Toelaatbaar tot het SO.",
                tlv=TlvTerms(FundingCategory.LOW, ago(95), ruben_until),
            ),
            Objected(
                Objector.PARENTS,
                "De ondersteuningsbehoefte van Ruben vraagt om bekostigingscategorie midden.",
                ago(75),
            ),
            LbtAsked(ago(68)),
            LbtAdvised(
                ObjectionOutcome.PARTLY_UPHELD,
                ago(30),
                "Het bezwaar is deels gegrond: de zorgbehoefte rechtvaardigt categorie midden.",
            ),
            ObjectionDecided(
                ObjectionOutcome.PARTLY_UPHELD,
                ago(21),
                "Conform het advies van de LBT: categorie midden, looptijd ongewijzigd.",
                consequence=TlvConsequence.REVISED,
                tlv=TlvTerms(FundingCategory.MEDIUM, ago(95), ruben_until),
            ),
            Redeemed(_SO, ago(14)),
            Shown("Objection decided after LBT advice: TLV revised to MEDIUM", "Objection"),
        ),
        # Isa: SBO TLV refused; the parents object and the LBT's advice is awaited.
        Story(
            "isa",
            Pupil(
                "Isa van Leeuwen", cal.born(7, 7, 7), "GM1904", "17XB00", guardians=(True, False)
            ),
            Request(
                "tlv",
                "Isa raakt achter en is vaak verdrietig op school.",
                ago(70),
                ago(66),
                tlv_type=TlvType.SBO,
                advices=(
                    Advice(
                        _PSYCH,
                        "psycholoog-1",
                        ago(55),
                        "Een BAO+-arrangement op de eigen school.",
                        admissible=False,
                    ),
                    Advice(
                        Qualification.PEDAGOOG,
                        "pedagoog-1",
                        ago(50),
                        "Eerst BAO+ inzetten.",
                        admissible=False,
                    ),
                ),
            ),
            Decided(
                ago(42),
                ago(41),
                "Beide deskundigen adviseren een BAO+-arrangement op de eigen school; de "
                "mogelijkheden van het regulier onderwijs zijn niet uitgeput.",
                granted=False,
            ),
            Objected(
                Objector.PARENTS,
                "Wij zien dat Isa vastloopt en willen dat zij naar het SBO kan.",
                ago(22),
            ),
            LbtAsked(ago(15)),
            Shown("Objection awaiting the LBT's advice", "Objection"),
        ),
        # Noah: SBO TLV granted; the parents' e-mail comes after the term, their reason excuses
        # it.
        Story(
            "noah",
            Pupil("Noah Visser", cal.born(9, 2, 14), "GM0632", "17XB00"),
            Request(
                "tlv",
                "Noah heeft meer structuur en een kleinere groep nodig.",
                ago(112),
                ago(108),
                tlv_type=TlvType.SBO,
                advices=(
                    Advice(_ORTHO, "orthopedagoog-1", ago(100), "Toelaatbaar tot het SBO."),
                    Advice(Qualification.PEDAGOOG, "pedagoog-1", ago(98), "SBO past bij Noah."),
                ),
            ),
            Decided(
                ago(93),
                ago(92),
                "Toelaatbaar tot het SBO.",
                tlv=TlvTerms(None, ago(93), school_year_end(ago(93), years=2)),
            ),
            Objected(
                Objector.PARENTS,
                "Wij willen dat Noah op zijn eigen school blijft, met extra begeleiding.",
                ago(40),
                channel=Channel.EMAIL,
            ),
            LatenessExplained(ago(36), "Het besluit is naar ons oude adres gestuurd."),
            LatenessRuled(
                ago(33),
                excusable=True,
                reasons="Het besluit is naar een oud adres verzonden; de ouders valt de "
                "termijnoverschrijding niet te verwijten (Awb 6:11).",
            ),
            LbtAsked(ago(30)),
            Shown("Late objection, its lateness excused by the committee (Awb 6:11)", "Objection"),
        ),
    )


def _pending_tlv_applications(cal: DemoCalendar) -> tuple[Story, ...]:
    ago = cal.ago
    return (
        # Jesse: the first expert advised; the second advice is awaited.
        Story(
            "jesse",
            Pupil("Jesse Brouwer", cal.born(10, 3, 3), "GM0736", "17XE00"),
            Request(
                "tlv",
                "Jesse heeft autisme en raakt in de grote groep ontregeld.",
                ago(24),
                ago(20),
                tlv_type=TlvType.SO,
                advices=(
                    Advice(_ORTHO, "orthopedagoog-1", ago(9), "Toelaatbaar tot het SO."),
                    Advice(Qualification.KINDERPSYCHIATER, "kinderpsychiater-1"),
                ),
            ),
            Shown("TLV application awaiting its second expert advice", "SupportRequest"),
        ),
        # Yara: both advices in, the parents' view recorded, awaiting the decision.
        Story(
            "yara",
            Pupil("Yara el Amrani", cal.born(6, 11, 20), "GM0632", "17XF00"),
            Request(
                "tlv",
                "Yara heeft een ernstige taalontwikkelingsstoornis en epilepsie.",
                ago(45),
                ago(40),
                tlv_type=TlvType.SO,
                advices=(
                    Advice(_ORTHO, "orthopedagoog-2", ago(25), "Toelaatbaar tot het SO."),
                    Advice(Qualification.ARTS, "jeugdarts-1", ago(19), "Medisch toezicht nodig."),
                ),
                parent_view=ParentView.NOT_GIVEN,
            ),
            ParentViewGiven(ParentView.AGREE),
            Shown("TLV application with both advices, awaiting the decision", "SupportRequest"),
        ),
    )


def _zorgplicht_and_lapse(cal: DemoCalendar) -> tuple[Story, ...]:
    ago = cal.ago
    return (
        # Mees: registered in writing before turning four; the school extended its term once.
        Story(
            "mees",
            Pupil("Mees Willems", cal.born_months_ago(47), "GM0335", None),
            RegisteredAtSchool("17XK00", ago(48)),
            ZorgplichtExtended("17XK00"),
            Shown("Pupil awaiting a place: zorgplicht term extended", "Pupil"),
        ),
        # Zoë: an SBO TLV never redeemed (the parents chose BAO+); it lapses after a year.
        Story(
            "zoe",
            Pupil("Zoë Hendriks", cal.born(11, 5, 1), "GM1904", "17XA00"),
            Request(
                "tlv",
                "Zoë heeft moeite met het tempo en de groepsgrootte.",
                ago(440),
                ago(436),
                tlv_type=TlvType.SBO,
                advices=(
                    Advice(_PSYCH, "psycholoog-1", ago(425), "Toelaatbaar tot het SBO."),
                    Advice(Qualification.PEDAGOOG, "pedagoog-1", ago(420), "SBO of BAO+ passend."),
                ),
            ),
            Decided(
                ago(410),
                ago(409),
                "Toelaatbaar tot het SBO.",
                tlv=TlvTerms(None, ago(410), school_year_end(ago(410), years=2)),
            ),
            Request(
                "bao-plus",
                "Ouders kiezen voor de eigen school; BAO+ in plaats van SBO.",
                ago(380),
                ago(376),
                arrangement_type="bao-plus",
            ),
            Decided(ago(370), ago(369), "BAO+ arrangement voor twee schooljaren."),
            Arranged("Basisschool De Vechtoever", 1_800_000, ago(360)),
            LapsedUnredeemed(add_months(ago(410), 12), "SBO TLV lapsed unredeemed"),
        ),
    )
