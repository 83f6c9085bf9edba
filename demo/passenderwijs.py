"""Passenderwijs (PO2604): twenty-three fictional pupils, through every stage of the process.

Every date counts back from the seeding day; the comments give the story, the code the facts.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from application.commands import ExtendTlvs
from application.handlers import tlvs
from application.local_dates import local_date
from demo.dates import first_school_day, school_year_end, weekday_on_or_before
from demo.desk import COMMITTEE, DemoDesk, TlvTerms
from demo.flows import (
    Advice,
    Decision,
    arrangement_request,
    granted_tlv,
    tlv_application,
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


async def seed_passenderwijs(desk: DemoDesk) -> None:
    await _arrangements(desk)
    await _pending_requests(desk)
    bulk = await _tlvs(desk)
    await _objections(desk)
    await _pending_tlv_applications(desk)
    await _zorgplicht_and_lapse(desk)
    cal = desk.calendar
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


async def _arrangements(desk: DemoDesk) -> None:  # noqa: PLR0915 - one story after another
    cal = desk.calendar
    ago = cal.ago

    # Sanne: ambulante begeleiding, running, evaluated half-way by the school.
    sanne = desk.case("sanne")
    dob = cal.born(7, 3, 14)
    await sanne.register(
        "Sanne de Graaf", dob, "GM0632", school_code="17XF00", enrolled_on=first_school_day(dob)
    )
    request = await arrangement_request(
        sanne,
        "ab",
        arrangement_type="ambulante-begeleiding",
        question="Sanne raakt in de groep snel overprikkeld; hoe houdt de leerkracht haar erbij?",
        received_on=ago(150),
        complete_on=ago(146),
        decision=Decision(
            ago(139),
            ago(138),
            "Passend binnen het arrangement ambulante "
            "begeleiding; doelen: zelfregulatie en taakaanpak.",
        ),
    )
    arrangement = await sanne.grant_arrangement(
        request, "ab", provider=_AMBULANT, amount=40, start_on=ago(132), decided_on=ago(139)
    )
    await sanne.evaluate(
        arrangement,
        "ab",
        party=EvaluationParty.SCHOOL,
        attainment=GoalAttainment.PARTLY_MET,
        on=ago(20),
        notes="Taakaanpak verbeterd; zelfregulatie bij drukte blijft lastig.",
    )
    desk.highlight("Arrangement running, evaluated half-way", "Arrangement", arrangement)

    # Daan: an onderwijsassistent for a year, extended after the interim evaluation.
    daan = desk.case("daan")
    dob = cal.born(9, 11, 2)
    await daan.register(
        "Daan Vermeulen", dob, "GM0736", school_code="17XE00", enrolled_on=first_school_day(dob)
    )
    request = await arrangement_request(
        daan,
        "oa",
        arrangement_type="onderwijsassistent",
        question="Daan heeft een eigen leerlijn rekenen en lezen; extra handen in de groep nodig.",
        received_on=ago(290),
        complete_on=ago(285),
        decision=Decision(ago(271), ago(270), "Inzet onderwijsassistent 8 uur per week."),
    )
    start = ago(262)
    arrangement = await daan.grant_arrangement(
        request,
        "oa",
        provider="Kindcentrum De Turfschuur",
        amount=1_250_000,
        start_on=start,
        decided_on=ago(271),
    )
    await daan.evaluate(
        arrangement,
        "oa",
        party=EvaluationParty.SCHOOL,
        attainment=GoalAttainment.PARTLY_MET,
        on=ago(35),
        notes="Vooruitgang bij lezen; rekenen vraagt nog een half jaar ondersteuning.",
    )
    await daan.extend_arrangement(
        arrangement,
        "oa",
        end_on=add_months(start, 17) - timedelta(days=1),
        decided_on=ago(30),
        reason="Tussenevaluatie: de doelen voor rekenen zijn nog niet bereikt.",
        amount_added=450_000,
    )
    desk.highlight("Arrangement extended after its evaluation", "Arrangement", arrangement)

    # Noor: arrangement gedrag, ended early because the goals were met; both evaluated.
    noor = desk.case("noor")
    dob = cal.born(6, 5, 21)
    await noor.register(
        "Noor Bakker", dob, "GM1904", school_code="17XA00", enrolled_on=first_school_day(dob)
    )
    request = await arrangement_request(
        noor,
        "gedrag",
        arrangement_type="gedrag",
        question="Noor loopt vast in de overgang naar groep 3; handelingsverlegenheid bij gedrag.",
        received_on=ago(245),
        complete_on=ago(240),
        decision=Decision(ago(229), ago(228), "Arrangement gedrag, 60 uur begeleiding."),
    )
    arrangement = await noor.grant_arrangement(
        request, "gedrag", provider=_AMBULANT, amount=60, start_on=ago(220), decided_on=ago(229)
    )
    await noor.end_early(
        arrangement,
        "gedrag",
        ago(45),
        "Doelen behaald; de school zet de aanpak voort binnen de basisondersteuning.",
    )
    for party, on in ((EvaluationParty.SCHOOL, ago(44)), (EvaluationParty.PARENTS, ago(40))):
        await noor.evaluate(
            arrangement,
            "gedrag",
            party=party,
            attainment=GoalAttainment.MET,
            on=on,
            notes="Noor gaat met plezier naar school en werkt zelfstandig.",
        )
    desk.highlight(
        "Arrangement ended early, evaluated by school and parents", "Arrangement", arrangement
    )

    # Luuk: plusklas, ended early when the family moved out of the region.
    luuk = desk.case("luuk")
    dob = cal.born(10, 8, 30)
    await luuk.register(
        "Luuk van Dijk", dob, "GM0589", school_code="17XJ00", enrolled_on=first_school_day(dob)
    )
    request = await arrangement_request(
        luuk,
        "plusklas",
        arrangement_type="plusklas",
        question="Luuk verveelt zich en haakt af; verrijking buiten de groep gevraagd.",
        received_on=ago(200),
        complete_on=ago(196),
        decision=Decision(ago(186), ago(185), "Plaatsing in de plusklas, een dagdeel per week."),
    )
    arrangement = await luuk.grant_arrangement(
        request,
        "plusklas",
        provider="Plusklas Oudewater",
        amount=80,
        start_on=ago(176),
        decided_on=ago(186),
    )
    await luuk.end_early(arrangement, "plusklas", ago(62), "Het gezin verhuist buiten de regio.")
    await luuk.evaluate(
        arrangement,
        "plusklas",
        party=EvaluationParty.PARENTS,
        attainment=GoalAttainment.PARTLY_MET,
        on=ago(60),
        notes="Luuk ging weer graag naar school; jammer dat het stopt.",
    )
    await luuk.leave(LeavingReason.MOVED_OUT_OF_REGION, ago(56))

    # Fenna: medisch-lichamelijk arrangement that runs to the end of a calendar year.
    fenna = desk.case("fenna")
    dob = cal.born(8, 1, 9)
    await fenna.register(
        "Fenna Hoekstra", dob, "GM0335", school_code="17XK00", enrolled_on=first_school_day(dob)
    )
    request = await arrangement_request(
        fenna,
        "medisch",
        arrangement_type="medisch-lichamelijk",
        question="Fenna heeft na een operatie aangepast meubilair en hulp bij verzorging nodig.",
        received_on=ago(100),
        complete_on=ago(97),
        decision=Decision(ago(90), ago(89), "Medisch-lichamelijk arrangement tot 31 december."),
    )
    start = ago(84)
    await fenna.grant_arrangement(
        request,
        "medisch",
        provider="Basisschool De Kasteelhof",
        amount=850_000,
        start_on=start,
        decided_on=ago(90),
        end_on=date(add_months(start, 6).year, 12, 31),
    )

    # Milan: ambulante begeleiding refused, with reasons.
    milan = desk.case("milan")
    dob = cal.born(11, 6, 17)
    await milan.register(
        "Milan Jansen", dob, "GM0736", school_code="17XD00", enrolled_on=first_school_day(dob)
    )
    await arrangement_request(
        milan,
        "ab",
        arrangement_type="ambulante-begeleiding",
        question="Milan heeft moeite met plannen en huiswerk in groep 8.",
        received_on=ago(80),
        complete_on=ago(75),
        decision=Decision(
            ago(68),
            ago(67),
            "Afgewezen: planning en huiswerkbegeleiding vallen binnen de basisondersteuning van "
            "de school; de IB'er kan hiervoor de consultatie van Passenderwijs inzetten.",
        ),
        granted=False,
    )

    # Amira: arrived from abroad, nieuwkomersarrangement.
    amira = desk.case("amira")
    await amira.register(
        "Amira Haddad", cal.born(7, 10, 4), "GM0632", school_code="17XG00", enrolled_on=ago(130)
    )
    request = await arrangement_request(
        amira,
        "nieuwkomers",
        arrangement_type="nieuwkomers",
        question="Amira spreekt nog geen Nederlands; schakelklas en NT2-ondersteuning gevraagd.",
        received_on=ago(120),
        complete_on=ago(118),
        decision=Decision(ago(112), ago(111), "Nieuwkomersarrangement voor een jaar."),
    )
    await amira.grant_arrangement(
        request,
        "nieuwkomers",
        provider="Schakelklas Woerden",
        amount=600_000,
        start_on=ago(105),
        decided_on=ago(112),
    )

    # Lars: an arrangement that ended with group 8; he left for secondary school.
    lars = desk.case("lars")
    dob = cal.born(12, 2, 26)
    await lars.register(
        "Lars Meijer", dob, "GM0632", school_code="17XG00", enrolled_on=first_school_day(dob)
    )
    end = cal.last_school_year_end

    def before_end(days: int) -> date:
        return weekday_on_or_before(end - timedelta(days=days))

    request = await arrangement_request(
        lars,
        "ab",
        arrangement_type="ambulante-begeleiding",
        question="Lars heeft faalangst bij toetsen; begeleiding richting de overstap naar het vo.",
        received_on=before_end(320),
        complete_on=before_end(316),
        decision=Decision(before_end(306), before_end(305), "Ambulante begeleiding tot de zomer."),
    )
    arrangement = await lars.grant_arrangement(
        request,
        "ab",
        provider=_AMBULANT,
        amount=30,
        start_on=before_end(298),
        decided_on=before_end(306),
        end_on=end,
    )
    await lars.evaluate(
        arrangement,
        "ab",
        party=EvaluationParty.SCHOOL,
        attainment=GoalAttainment.MET,
        on=before_end(10),
        notes="Lars maakte de eindtoets met vertrouwen.",
    )
    await lars.leave(LeavingReason.TRANSFER_TO_VO, end)


async def _pending_requests(desk: DemoDesk) -> None:
    cal = desk.calendar
    ago = cal.ago

    # Bram: just submitted.
    bram = desk.case("bram")
    dob = cal.born(6, 9, 12)
    await bram.register(
        "Bram Smit", dob, "GM1904", school_code="17XB00", enrolled_on=first_school_day(dob)
    )
    request = await bram.submit(
        "ab",
        received_on=ago(3),
        question="Bram praat niet in de klas (selectief mutisme?); hoe begeleiden we hem?",
        arrangement_type="ambulante-begeleiding",
    )
    desk.highlight(
        "Request just submitted, awaiting the completeness check", "SupportRequest", request
    )

    # Julia: incomplete, the school has to add two documents.
    julia = desk.case("julia")
    dob = cal.born(9, 4, 3)
    await julia.register(
        "Julia Visser", dob, "GM0589", school_code="17XJ00", enrolled_on=first_school_day(dob)
    )
    request = await julia.submit(
        "oa",
        received_on=ago(16),
        question="Julia heeft intensieve begeleiding nodig bij rekenen en taal.",
        arrangement_type="onderwijsassistent",
    )
    await julia.check(
        request,
        "oa",
        ago(12),
        missing=("Groeidocument met handelingsdeel", "Verslag van het MDO met ouders"),
    )
    desk.highlight("Request incomplete: two documents missing", "SupportRequest", request)

    # Sem: complete, then suspended while a psychological assessment is awaited.
    sem = desk.case("sem")
    dob = cal.born(8, 12, 8)
    await sem.register(
        "Sem de Jong", dob, "GM0335", school_code="17XL00", enrolled_on=first_school_day(dob)
    )
    request = await sem.submit(
        "gedrag",
        received_on=ago(40),
        question="Sem reageert fysiek bij conflicten; de school zoekt handelingsadvies.",
        arrangement_type="gedrag",
    )
    await sem.check(request, "gedrag", ago(36))
    await sem.suspend(
        request,
        "gedrag",
        ago(28),
        "Wacht op het psychodiagnostisch onderzoek dat de school heeft aangevraagd.",
        complete_by=cal.ahead(14),
    )
    desk.highlight(
        "Invited to complete (Awb 4:5): the decision term stands still until the completion "
        "term ends",
        "SupportRequest",
        request,
    )

    # Lieke: suspended for a talk with the parents, resumed, awaiting the decision.
    lieke = desk.case("lieke")
    dob = cal.born(10, 7, 19)
    await lieke.register(
        "Lieke Mulder", dob, "GM0736", school_code="17XD01", enrolled_on=first_school_day(dob)
    )
    request = await lieke.submit(
        "cognitief",
        received_on=ago(50),
        question="Lieke functioneert op een eigen leerlijn; cognitief arrangement gevraagd.",
        arrangement_type="cognitief",
    )
    await lieke.check(request, "cognitief", ago(45))
    await lieke.suspend(
        request,
        "cognitief",
        ago(38),
        "Aanvullend gesprek met ouders gepland.",
        complete_by=ago(24),
    )
    await lieke.resume(request, "cognitief", ago(30))
    desk.highlight(
        "Complete request awaiting its decision (term moved by a suspension)",
        "SupportRequest",
        request,
    )


async def _tlvs(desk: DemoDesk) -> tuple[UUID, ...]:
    """Granted TLVs: redeemed, extended individually, and two for the bulk extension."""
    cal = desk.calendar
    ago = cal.ago

    # Thijs: SBO TLV, redeemed at the SBO school.
    thijs = desk.case("thijs")
    dob = cal.born(9, 2, 11)
    await thijs.register(
        "Thijs Bos", dob, "GM0632", school_code="17XF00", enrolled_on=first_school_day(dob)
    )
    request = await tlv_application(
        thijs,
        "tlv",
        tlv_type=TlvType.SBO,
        question="Thijs loopt ondanks arrangement twee jaar achter; SBO lijkt passend.",
        received_on=ago(335),
        complete_on=ago(330),
        advices=(
            Advice(_ORTHO, "orthopedagoog-1", ago(318), "Toelaatbaar tot het SBO."),
            Advice(Qualification.PEDAGOOG, "pedagoog-1", ago(312), "Eens met SBO-plaatsing."),
        ),
    )
    decided = ago(300)
    tlv = await granted_tlv(
        thijs,
        request,
        "tlv",
        Decision(decided, ago(299), "Toelaatbaar tot het SBO."),
        TlvTerms(None, decided, school_year_end(decided, years=2)),
    )
    await thijs.redeem(tlv, _SBO, ago(285))
    desk.highlight("SBO TLV, redeemed", "Tlv", tlv)

    # Evi: SO TLV (cluster 4) ending this school year, extended after a re-assessment.
    evi = desk.case("evi")
    dob = cal.born(10, 6, 5)
    await evi.register(
        "Evi Kok", dob, "GM1904", school_code="17XA00", enrolled_on=first_school_day(dob)
    )
    request = await tlv_application(
        evi,
        "tlv",
        tlv_type=TlvType.SO,
        question="Evi heeft ernstige gedragsproblemen; de school kan haar niet meer bieden.",
        received_on=ago(650),
        complete_on=ago(645),
        advices=(
            Advice(_PSYCH, "psycholoog-1", ago(632), "Toelaatbaar tot het SO, cluster 4."),
            Advice(
                Qualification.KINDERPSYCHIATER,
                "kinderpsychiater-1",
                ago(626),
                "SO-plaatsing met behandeling aanbevolen.",
            ),
        ),
    )
    decided = ago(615)
    tlv = await granted_tlv(
        evi,
        request,
        "tlv",
        Decision(decided, ago(614), "Toelaatbaar tot het SO (gedrag)."),
        TlvTerms(FundingCategory.LOW, decided, cal.this_school_year_end),
    )
    await evi.redeem(tlv, _SO, ago(600))
    await evi.extend_tlv(tlv, valid_until=school_year_end(cal.today, years=3), decided_on=ago(25))
    desk.highlight("SO TLV extended after an individual re-assessment", "Tlv", tlv)

    # Finn and Mila: TLVs that end this school year, redeemed, for the bulk extension.
    finn = desk.case("finn")
    dob = cal.born(11, 1, 27)
    await finn.register(
        "Finn Peters", dob, "GM0632", school_code="17XG00", enrolled_on=first_school_day(dob)
    )
    request = await tlv_application(
        finn,
        "tlv",
        tlv_type=TlvType.SO,
        question="Finn heeft een meervoudige beperking en intensieve zorg nodig.",
        received_on=ago(575),
        complete_on=ago(570),
        advices=(
            Advice(_ORTHO, "orthopedagoog-2", ago(558), "Toelaatbaar tot het SO."),
            Advice(Qualification.ARTS, "jeugdarts-1", ago(552), "Medische zorg op school nodig."),
        ),
    )
    decided = ago(545)
    finn_tlv = await granted_tlv(
        finn,
        request,
        "tlv",
        Decision(decided, ago(544), "Toelaatbaar tot het SO."),
        TlvTerms(FundingCategory.MEDIUM, decided, cal.this_school_year_end),
    )
    await finn.redeem(finn_tlv, _SO, ago(530))

    mila = desk.case("mila")
    dob = cal.born(9, 10, 15)
    await mila.register(
        "Mila de Wit", dob, "GM0335", school_code="17XK00", enrolled_on=first_school_day(dob)
    )
    request = await tlv_application(
        mila,
        "tlv",
        tlv_type=TlvType.SBO,
        question="Mila heeft een kleine groep en veel structuur nodig.",
        received_on=ago(535),
        complete_on=ago(530),
        advices=(
            Advice(_ORTHO, "orthopedagoog-1", ago(518), "Toelaatbaar tot het SBO."),
            Advice(
                Qualification.MAATSCHAPPELIJK_WERKER,
                "maatschappelijk-werker-1",
                ago(511),
                "Gezin steunt SBO-plaatsing.",
            ),
        ),
    )
    decided = ago(505)
    mila_tlv = await granted_tlv(
        mila,
        request,
        "tlv",
        Decision(decided, ago(504), "Toelaatbaar tot het SBO."),
        TlvTerms(None, decided, cal.this_school_year_end),
    )
    await mila.redeem(mila_tlv, _SBO, ago(490))
    return finn_tlv, mila_tlv


async def _objections(desk: DemoDesk) -> None:
    cal = desk.calendar
    ago = cal.ago

    # Ruben: SO TLV category LOW; the parents object, the LBT advises, the SWV revises to MEDIUM.
    ruben = desk.case("ruben")
    dob = cal.born(8, 4, 22)
    await ruben.register(
        "Ruben Dekker", dob, "GM0589", school_code="17XJ00", enrolled_on=first_school_day(dob)
    )
    request = await tlv_application(
        ruben,
        "tlv",
        tlv_type=TlvType.SO,
        question="Ruben heeft een ernstige spraak-taal- en gedragsproblematiek.",
        received_on=ago(125),
        complete_on=ago(120),
        advices=(
            Advice(_ORTHO, "orthopedagoog-2", ago(108), "Toelaatbaar tot het SO."),
            Advice(
                Qualification.KINDERPSYCHIATER,
                "kinderpsychiater-1",
                ago(102),
                "SO met intensieve begeleiding.",
            ),
        ),
    )
    decided = ago(95)
    until = school_year_end(decided, years=2)
    tlv = await granted_tlv(
        ruben,
        request,
        "tlv",
        Decision(decided, ago(94), "Toelaatbaar tot het SO."),
        TlvTerms(FundingCategory.LOW, decided, until),
    )
    objection = await ruben.lodge_objection(
        request,
        "tlv",
        objector=Objector.PARENTS,
        grounds="De ondersteuningsbehoefte van Ruben vraagt om bekostigingscategorie midden.",
        received_on=ago(75),
    )
    await ruben.request_lbt_advice(objection, "tlv", ago(68))
    await ruben.record_lbt_advice(
        objection,
        "tlv",
        outcome=ObjectionOutcome.PARTLY_UPHELD,
        on=ago(30),
        advice="Het bezwaar is deels gegrond: de zorgbehoefte rechtvaardigt categorie midden.",
    )
    await ruben.decide_objection(
        objection,
        "tlv",
        outcome=ObjectionOutcome.PARTLY_UPHELD,
        on=ago(21),
        reasons="Conform het advies van de LBT: categorie midden, looptijd ongewijzigd.",
        consequence=TlvConsequence.REVISED,
        tlv=TlvTerms(FundingCategory.MEDIUM, decided, until),
    )
    await ruben.redeem(tlv, _SO, ago(14))
    desk.highlight(
        "Objection decided after LBT advice: TLV revised to MEDIUM", "Objection", objection
    )

    # Isa: SBO TLV refused; the parents object and the LBT's advice is awaited.
    isa = desk.case("isa")
    dob = cal.born(7, 7, 7)
    await isa.register(
        "Isa van Leeuwen",
        dob,
        "GM1904",
        school_code="17XB00",
        enrolled_on=first_school_day(dob),
        guardians=(True, False),
    )
    request = await tlv_application(
        isa,
        "tlv",
        tlv_type=TlvType.SBO,
        question="Isa raakt achter en is vaak verdrietig op school.",
        received_on=ago(70),
        complete_on=ago(66),
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
    )
    await isa.refuse(
        request,
        "tlv",
        ago(42),
        "Beide deskundigen adviseren een BAO+-arrangement op de eigen school; de "
        "mogelijkheden van het regulier onderwijs zijn niet uitgeput.",
    )
    await isa.notify(request, "tlv", ago(41))
    objection = await isa.lodge_objection(
        request,
        "tlv",
        objector=Objector.PARENTS,
        grounds="Wij zien dat Isa vastloopt en willen dat zij naar het SBO kan.",
        received_on=ago(22),
    )
    await isa.request_lbt_advice(objection, "tlv", ago(15))
    desk.highlight("Objection awaiting the LBT's advice", "Objection", objection)

    # Noah: SBO TLV granted; the parents' e-mail comes after the term, their reason excuses it.
    noah = desk.case("noah")
    dob = cal.born(9, 2, 14)
    await noah.register(
        "Noah Visser", dob, "GM0632", school_code="17XB00", enrolled_on=first_school_day(dob)
    )
    request = await tlv_application(
        noah,
        "tlv",
        tlv_type=TlvType.SBO,
        question="Noah heeft meer structuur en een kleinere groep nodig.",
        received_on=ago(112),
        complete_on=ago(108),
        advices=(
            Advice(_ORTHO, "orthopedagoog-1", ago(100), "Toelaatbaar tot het SBO."),
            Advice(Qualification.PEDAGOOG, "pedagoog-1", ago(98), "SBO past bij Noah."),
        ),
    )
    decided = ago(93)
    await granted_tlv(
        noah,
        request,
        "tlv",
        Decision(decided, ago(92), "Toelaatbaar tot het SBO."),
        TlvTerms(None, decided, school_year_end(decided, years=2)),
    )
    objection = await noah.lodge_objection(
        request,
        "tlv",
        objector=Objector.PARENTS,
        grounds="Wij willen dat Noah op zijn eigen school blijft, met extra begeleiding.",
        received_on=ago(40),
        channel=Channel.EMAIL,
    )
    await noah.explain_lateness(
        objection, "tlv", ago(36), "Het besluit is naar ons oude adres gestuurd."
    )
    await noah.rule_on_lateness(
        objection,
        "tlv",
        ago(33),
        excusable=True,
        reasons="Het besluit is naar een oud adres verzonden; de ouders valt de "
        "termijnoverschrijding niet te verwijten (Awb 6:11).",
    )
    await noah.request_lbt_advice(objection, "tlv", ago(30))
    desk.highlight(
        "Late objection, its lateness excused by the committee (Awb 6:11)",
        "Objection",
        objection,
    )


async def _pending_tlv_applications(desk: DemoDesk) -> None:
    cal = desk.calendar
    ago = cal.ago

    # Jesse: the first expert advised; the second advice is awaited.
    jesse = desk.case("jesse")
    dob = cal.born(10, 3, 3)
    await jesse.register(
        "Jesse Brouwer", dob, "GM0736", school_code="17XE00", enrolled_on=first_school_day(dob)
    )
    request = await tlv_application(
        jesse,
        "tlv",
        tlv_type=TlvType.SO,
        question="Jesse heeft autisme en raakt in de grote groep ontregeld.",
        received_on=ago(24),
        complete_on=ago(20),
        advices=(
            Advice(_ORTHO, "orthopedagoog-1", ago(9), "Toelaatbaar tot het SO."),
            Advice(Qualification.KINDERPSYCHIATER, "kinderpsychiater-1"),
        ),
    )
    desk.highlight("TLV application awaiting its second expert advice", "SupportRequest", request)

    # Yara: both advices in, the parents' view recorded, awaiting the decision.
    yara = desk.case("yara")
    dob = cal.born(6, 11, 20)
    await yara.register(
        "Yara el Amrani", dob, "GM0632", school_code="17XF00", enrolled_on=first_school_day(dob)
    )
    request = await tlv_application(
        yara,
        "tlv",
        tlv_type=TlvType.SO,
        question="Yara heeft een ernstige taalontwikkelingsstoornis en epilepsie.",
        received_on=ago(45),
        complete_on=ago(40),
        advices=(
            Advice(_ORTHO, "orthopedagoog-2", ago(25), "Toelaatbaar tot het SO."),
            Advice(Qualification.ARTS, "jeugdarts-1", ago(19), "Medisch toezicht nodig."),
        ),
        parent_view=ParentView.NOT_GIVEN,
    )
    await yara.parent_view(request, "tlv", ParentView.AGREE)
    desk.highlight(
        "TLV application with both advices, awaiting the decision", "SupportRequest", request
    )


async def _zorgplicht_and_lapse(desk: DemoDesk) -> None:
    cal = desk.calendar
    ago = cal.ago

    # Mees: registered in writing before turning four; the school extended its term once.
    mees = desk.case("mees")
    pupil = await mees.register("Mees Willems", cal.born_months_ago(47), "GM0335", school_code=None)
    await mees.register_at_school("17XK00", ago(48))
    await mees.extend_zorgplicht("17XK00")
    desk.highlight("Pupil awaiting a place: zorgplicht term extended", "Pupil", pupil)

    # Zoë: an SBO TLV never redeemed (the parents chose BAO+); it lapses after a year.
    zoe = desk.case("zoe")
    dob = cal.born(11, 5, 1)
    await zoe.register(
        "Zoë Hendriks", dob, "GM1904", school_code="17XA00", enrolled_on=first_school_day(dob)
    )
    request = await tlv_application(
        zoe,
        "tlv",
        tlv_type=TlvType.SBO,
        question="Zoë heeft moeite met het tempo en de groepsgrootte.",
        received_on=ago(440),
        complete_on=ago(436),
        advices=(
            Advice(_PSYCH, "psycholoog-1", ago(425), "Toelaatbaar tot het SBO."),
            Advice(Qualification.PEDAGOOG, "pedagoog-1", ago(420), "SBO of BAO+ passend."),
        ),
    )
    decided = ago(410)
    tlv = await granted_tlv(
        zoe,
        request,
        "tlv",
        Decision(decided, ago(409), "Toelaatbaar tot het SBO."),
        TlvTerms(None, decided, school_year_end(decided, years=2)),
    )
    request = await arrangement_request(
        zoe,
        "bao-plus",
        arrangement_type="bao-plus",
        question="Ouders kiezen voor de eigen school; BAO+ in plaats van SBO.",
        received_on=ago(380),
        complete_on=ago(376),
        decision=Decision(ago(370), ago(369), "BAO+ arrangement voor twee schooljaren."),
    )
    await zoe.grant_arrangement(
        request,
        "bao-plus",
        provider="Basisschool De Vechtoever",
        amount=1_800_000,
        start_on=ago(360),
        decided_on=ago(370),
    )
    redeem_by = add_months(decided, 12)
    if local_date(desk.clock.now()) > redeem_by:
        await zoe.lapse(tlv)
        desk.highlight("SBO TLV lapsed unredeemed", "Tlv", tlv)
