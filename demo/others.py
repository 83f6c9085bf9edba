"""SWV VO RUW (VO2604) and SWV ZOUT (PO2603): a handful of fictional pupils each."""

from __future__ import annotations

from demo.dates import first_school_day, school_year_end, secondary_school_start
from demo.desk import DemoDesk, TlvTerms
from demo.flows import (
    Advice,
    Decision,
    arrangement_request,
    granted_tlv,
    tlv_application,
)
from domain.arrangement import EvaluationParty, GoalAttainment
from domain.expert_advice import Qualification
from domain.support_request import ParentView
from domain.tlv import FundingCategory, TlvType

_ORTHO = Qualification.ORTHOPEDAGOOG
_VSO = "26YE00"


async def seed_vo_ruw(desk: DemoDesk) -> None:
    cal = desk.calendar
    ago = cal.ago

    # Sophie: ambulante begeleiding in the first years, evaluated by her parents.
    sophie = desk.case("sophie")
    dob = cal.born(13, 3, 18)
    await sophie.register(
        "Sophie van den Berg",
        dob,
        "GM0632",
        school_code="26YA00",
        enrolled_on=secondary_school_start(dob),
    )
    request = await arrangement_request(
        sophie,
        "ab",
        arrangement_type="ambulante-begeleiding",
        question="Sophie heeft een angststoornis en verzuimt bij toetsweken.",
        received_on=ago(95),
        complete_on=ago(92),
        decision=Decision(ago(85), ago(84), "Ambulante begeleiding, 30 uur."),
    )
    arrangement = await sophie.grant_arrangement(
        request,
        "ab",
        provider="Ambulante dienst VO RUW",
        amount=30,
        start_on=ago(78),
        decided_on=ago(85),
    )
    await sophie.evaluate(
        arrangement,
        "ab",
        party=EvaluationParty.PARENTS,
        attainment=GoalAttainment.PARTLY_MET,
        on=ago(10),
        notes="Sophie gaat weer naar school, toetsweken blijven spannend.",
    )

    # Niels: VSO TLV during secondary school, redeemed at the VSO school.
    niels = desk.case("niels")
    dob = cal.born(15, 6, 9)
    await niels.register(
        "Niels Vos", dob, "GM0736", school_code="26YB00", enrolled_on=secondary_school_start(dob)
    )
    request = await tlv_application(
        niels,
        "tlv",
        tlv_type=TlvType.VSO,
        question="Niels kan ondanks arrangementen niet meer in de reguliere klas functioneren.",
        received_on=ago(185),
        complete_on=ago(180),
        advices=(
            Advice(_ORTHO, "orthopedagoog-1", ago(168), "Toelaatbaar tot het VSO."),
            Advice(
                Qualification.KINDER_EN_JEUGDPSYCHOLOOG,
                "jeugdpsycholoog-1",
                ago(160),
                "VSO met arbeidstoeleiding.",
            ),
        ),
    )
    decided = ago(150)
    tlv = await granted_tlv(
        niels,
        request,
        "tlv",
        Decision(decided, ago(149), "Toelaatbaar tot het VSO."),
        TlvTerms(FundingCategory.MEDIUM, decided, school_year_end(decided, years=2)),
    )
    await niels.redeem(tlv, _VSO, ago(130))

    # Lotte: leaving primary school; the VSO school applied, the TLV starts next school year.
    lotte = desk.case("lotte")
    await lotte.register("Lotte Kuipers", cal.born(12, 5, 27), "GM0335", school_code=None)
    request = await tlv_application(
        lotte,
        "tlv",
        tlv_type=TlvType.VSO,
        question="Lotte gaat na groep 8 naar het VSO; aanvraag door de VSO-school.",
        received_on=ago(60),
        complete_on=ago(55),
        advices=(
            Advice(_ORTHO, "orthopedagoog-2", ago(44), "Toelaatbaar tot het VSO."),
            Advice(
                Qualification.MAATSCHAPPELIJK_WERKER,
                "maatschappelijk-werker-1",
                ago(38),
                "Ouders en school steunen de overstap naar het VSO.",
            ),
        ),
        school_code=_VSO,
    )
    decided = ago(28)
    tlv = await granted_tlv(
        lotte,
        request,
        "tlv",
        Decision(decided, ago(27), "Toelaatbaar tot het VSO."),
        TlvTerms(
            FundingCategory.LOW,
            school_year_end(decided).replace(month=8, day=1),
            school_year_end(decided, years=3),
        ),
    )
    desk.highlight("VSO TLV for a pupil leaving primary school, awaiting enrolment", "Tlv", tlv)

    # Mohammed: thuiszittersarrangement, ended early once he was back full-time.
    mohammed = desk.case("mohammed")
    dob = cal.born(14, 2, 14)
    await mohammed.register(
        "Mohammed Yilmaz",
        dob,
        "GM0589",
        school_code="26YF00",
        enrolled_on=secondary_school_start(dob),
    )
    request = await arrangement_request(
        mohammed,
        "maatwerk",
        arrangement_type="thuiszitters-maatwerk",
        question="Mohammed zit sinds zes weken thuis; een opbouwrooster met begeleiding.",
        received_on=ago(160),
        complete_on=ago(158),
        decision=Decision(ago(153), ago(152), "Maatwerkarrangement met opbouwrooster."),
    )
    arrangement = await mohammed.grant_arrangement(
        request,
        "maatwerk",
        provider="Vakcollege Oudewater",
        amount=450_000,
        start_on=ago(147),
        decided_on=ago(153),
    )
    await mohammed.end_early(
        arrangement, "maatwerk", ago(50), "Mohammed volgt weer het volledige rooster."
    )
    await mohammed.evaluate(
        arrangement,
        "maatwerk",
        party=EvaluationParty.SCHOOL,
        attainment=GoalAttainment.MET,
        on=ago(48),
        notes="Volledig terug op school.",
    )

    # Emma: tussenvoorziening asked, complete, awaiting the decision.
    emma = desk.case("emma")
    dob = cal.born(16, 7, 1)
    await emma.register(
        "Emma Schouten",
        dob,
        "GM0632",
        school_code="26YD00",
        enrolled_on=secondary_school_start(dob),
    )
    request = await arrangement_request(
        emma,
        "opdc",
        arrangement_type="tussenvoorziening",
        question="Emma heeft tijdelijk een kleinere setting nodig (OPDC).",
        received_on=ago(30),
        complete_on=ago(26),
    )
    desk.highlight(
        "Request for a tussenvoorziening awaiting its decision", "SupportRequest", request
    )

    # Tim: extra formatie refused.
    tim = desk.case("tim")
    dob = cal.born(13, 4, 25)
    await tim.register(
        "Tim Jacobs", dob, "GM0736", school_code="26YB00", enrolled_on=secondary_school_start(dob)
    )
    await arrangement_request(
        tim,
        "formatie",
        arrangement_type="extra-formatie",
        question="Tim heeft dyslexie; extra begeleiding bij talen.",
        received_on=ago(65),
        complete_on=ago(60),
        decision=Decision(
            ago(52),
            ago(51),
            "Afgewezen: dyslexiebegeleiding hoort bij de basisondersteuning van de school.",
        ),
        granted=False,
    )


async def seed_zout(desk: DemoDesk) -> None:
    cal = desk.calendar
    ago = cal.ago

    # Femke: SO TLV, category HIGH, redeemed; ZOUT lets TLVs run to their end.
    femke = desk.case("femke")
    dob = cal.born(8, 9, 3)
    await femke.register(
        "Femke Dijkstra", dob, "GM0355", school_code="18ZA00", enrolled_on=first_school_day(dob)
    )
    request = await tlv_application(
        femke,
        "tlv",
        tlv_type=TlvType.SO,
        question="Femke heeft een ernstige meervoudige beperking.",
        received_on=ago(230),
        complete_on=ago(226),
        advices=(
            Advice(_ORTHO, "orthopedagoog-1", ago(214), "Toelaatbaar tot het SO."),
            Advice(Qualification.ARTS, "jeugdarts-1", ago(208), "Verpleegkundige zorg nodig."),
        ),
    )
    decided = ago(200)
    tlv = await granted_tlv(
        femke,
        request,
        "tlv",
        Decision(decided, ago(199), "Toelaatbaar tot het SO."),
        TlvTerms(FundingCategory.HIGH, decided, school_year_end(decided, years=2)),
    )
    await femke.redeem(tlv, "18ZG00", ago(180))
    desk.highlight("SO TLV, category HIGH, redeemed", "Tlv", tlv)

    # Joep: ambulante begeleiding, running.
    joep = desk.case("joep")
    dob = cal.born(7, 12, 12)
    await joep.register(
        "Joep van Wijk", dob, "GM0312", school_code="18ZB00", enrolled_on=first_school_day(dob)
    )
    request = await arrangement_request(
        joep,
        "ab",
        arrangement_type="ambulante-begeleiding",
        question="Joep heeft ADHD; de leerkracht vraagt handelingsadvies.",
        received_on=ago(110),
        complete_on=ago(107),
        decision=Decision(ago(100), ago(99), "Ambulante begeleiding, 24 uur."),
    )
    arrangement = await joep.grant_arrangement(
        request,
        "ab",
        provider="Ambulante dienst ZOUT",
        amount=24,
        start_on=ago(92),
        decided_on=ago(100),
    )
    await joep.evaluate(
        arrangement,
        "ab",
        party=EvaluationParty.SCHOOL,
        attainment=GoalAttainment.PARTLY_MET,
        on=ago(15),
        notes="De leerkracht past de tips toe; Joep werkt langer geconcentreerd.",
    )

    # Sara: onderwijsassistent refused.
    sara = desk.case("sara")
    dob = cal.born(9, 8, 8)
    await sara.register(
        "Sara Koster", dob, "GM0310", school_code="18ZC00", enrolled_on=first_school_day(dob)
    )
    await arrangement_request(
        sara,
        "oa",
        arrangement_type="onderwijsassistent",
        question="Sara heeft extra instructie nodig bij rekenen.",
        received_on=ago(58),
        complete_on=ago(54),
        decision=Decision(
            ago(47), ago(46), "Afgewezen: verlengde instructie valt binnen de basisondersteuning."
        ),
        granted=False,
    )

    # Olivier: SBO TLV application just submitted, parents' view not yet given.
    olivier = desk.case("olivier")
    dob = cal.born(6, 1, 30)
    await olivier.register(
        "Olivier Maas", dob, "GM1581", school_code="18ZD00", enrolled_on=first_school_day(dob)
    )
    request = await olivier.submit(
        "tlv",
        received_on=ago(6),
        question="Olivier heeft een kleine groep nodig.",
        tlv_type=TlvType.SBO,
        parent_view=ParentView.NOT_GIVEN,
    )
    desk.highlight("SBO TLV application just submitted", "SupportRequest", request)
