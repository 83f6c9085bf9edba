"""SWV VO RUW (VO2604) and SWV ZOUT (PO2603): a handful of fictional pupils each."""

from __future__ import annotations

from demo.dates import first_school_day, school_year_end, secondary_school_start
from demo.desk import DemoDesk
from demo.stories import (
    Advice,
    Arranged,
    Decided,
    EndedEarly,
    Evaluated,
    Pupil,
    Redeemed,
    Request,
    Shown,
    Story,
    TlvTerms,
    play,
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
    lotte_decided = ago(28)
    stories = (
        # Sophie: ambulante begeleiding in the first years, evaluated by her parents.
        Story(
            "sophie",
            Pupil("Sophie van den Berg", cal.born(13, 3, 18), "GM0632", "26YA00"),
            Request(
                "ab",
                "Sophie heeft een angststoornis en verzuimt bij toetsweken.",
                ago(95),
                ago(92),
                arrangement_type="ambulante-begeleiding",
            ),
            Decided(ago(85), ago(84), "Ambulante begeleiding, 30 uur."),
            Arranged("Ambulante dienst VO RUW", 30, ago(78)),
            Evaluated(
                EvaluationParty.PARENTS,
                GoalAttainment.PARTLY_MET,
                ago(10),
                "Sophie gaat weer naar school, toetsweken blijven spannend.",
            ),
        ),
        # Niels: VSO TLV during secondary school, redeemed at the VSO school.
        Story(
            "niels",
            Pupil("Niels Vos", cal.born(15, 6, 9), "GM0736", "26YB00"),
            Request(
                "tlv",
                "Niels kan ondanks arrangementen niet meer in de reguliere klas functioneren.",
                ago(185),
                ago(180),
                tlv_type=TlvType.VSO,
                advices=(
                    Advice(_ORTHO, "orthopedagoog-1", ago(168), "Toelaatbaar tot het VSO."),
                    Advice(
                        Qualification.KINDER_EN_JEUGDPSYCHOLOOG,
                        "jeugdpsycholoog-1",
                        ago(160),
                        "VSO met arbeidstoeleiding.",
                    ),
                ),
            ),
            Decided(
                ago(150),
                ago(149),
                "Toelaatbaar tot het VSO.",
                tlv=TlvTerms(FundingCategory.MEDIUM, ago(150), school_year_end(ago(150), years=2)),
            ),
            Redeemed(_VSO, ago(130)),
        ),
        # Lotte: leaving primary school; the VSO school applied, the TLV starts next school year.
        Story(
            "lotte",
            Pupil("Lotte Kuipers", cal.born(12, 5, 27), "GM0335", None),
            Request(
                "tlv",
                "Lotte gaat na groep 8 naar het VSO; aanvraag door de VSO-school.",
                ago(60),
                ago(55),
                tlv_type=TlvType.VSO,
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
            ),
            Decided(
                lotte_decided,
                ago(27),
                "Toelaatbaar tot het VSO.",
                tlv=TlvTerms(
                    FundingCategory.LOW,
                    school_year_end(lotte_decided).replace(month=8, day=1),
                    school_year_end(lotte_decided, years=3),
                ),
            ),
            Shown("VSO TLV for a pupil leaving primary school, awaiting enrolment", "Tlv"),
        ),
        # Mohammed: thuiszittersarrangement, ended early once he was back full-time.
        Story(
            "mohammed",
            Pupil("Mohammed Yilmaz", cal.born(14, 2, 14), "GM0589", "26YF00"),
            Request(
                "maatwerk",
                "Mohammed zit sinds zes weken thuis; een opbouwrooster met begeleiding.",
                ago(160),
                ago(158),
                arrangement_type="thuiszitters-maatwerk",
            ),
            Decided(ago(153), ago(152), "Maatwerkarrangement met opbouwrooster."),
            Arranged("Vakcollege Oudewater", 450_000, ago(147)),
            EndedEarly(ago(50), "Mohammed volgt weer het volledige rooster."),
            Evaluated(
                EvaluationParty.SCHOOL, GoalAttainment.MET, ago(48), "Volledig terug op school."
            ),
        ),
        # Emma: tussenvoorziening asked, complete, awaiting the decision.
        Story(
            "emma",
            Pupil("Emma Schouten", cal.born(16, 7, 1), "GM0632", "26YD00"),
            Request(
                "opdc",
                "Emma heeft tijdelijk een kleinere setting nodig (OPDC).",
                ago(30),
                ago(26),
                arrangement_type="tussenvoorziening",
            ),
            Shown("Request for a tussenvoorziening awaiting its decision", "SupportRequest"),
        ),
        # Tim: extra formatie refused.
        Story(
            "tim",
            Pupil("Tim Jacobs", cal.born(13, 4, 25), "GM0736", "26YB00"),
            Request(
                "formatie",
                "Tim heeft dyslexie; extra begeleiding bij talen.",
                ago(65),
                ago(60),
                arrangement_type="extra-formatie",
            ),
            Decided(
                ago(52),
                ago(51),
                "Afgewezen: dyslexiebegeleiding hoort bij de basisondersteuning van de school.",
                granted=False,
            ),
        ),
    )
    await play(desk, stories, first_enrolment=secondary_school_start)


async def seed_zout(desk: DemoDesk) -> None:
    cal = desk.calendar
    ago = cal.ago
    stories = (
        # Femke: SO TLV, category HIGH, redeemed; ZOUT lets TLVs run to their end.
        Story(
            "femke",
            Pupil("Femke Dijkstra", cal.born(8, 9, 3), "GM0355", "18ZA00"),
            Request(
                "tlv",
                "Femke heeft een ernstige meervoudige beperking.",
                ago(230),
                ago(226),
                tlv_type=TlvType.SO,
                advices=(
                    Advice(_ORTHO, "orthopedagoog-1", ago(214), "Toelaatbaar tot het SO."),
                    Advice(
                        Qualification.ARTS, "jeugdarts-1", ago(208), "Verpleegkundige zorg nodig."
                    ),
                ),
            ),
            Decided(
                ago(200),
                ago(199),
                "Toelaatbaar tot het SO.",
                tlv=TlvTerms(FundingCategory.HIGH, ago(200), school_year_end(ago(200), years=2)),
            ),
            Redeemed("18ZG00", ago(180)),
            Shown("SO TLV, category HIGH, redeemed", "Tlv"),
        ),
        # Joep: ambulante begeleiding, running.
        Story(
            "joep",
            Pupil("Joep van Wijk", cal.born(7, 12, 12), "GM0312", "18ZB00"),
            Request(
                "ab",
                "Joep heeft ADHD; de leerkracht vraagt handelingsadvies.",
                ago(110),
                ago(107),
                arrangement_type="ambulante-begeleiding",
            ),
            Decided(ago(100), ago(99), "Ambulante begeleiding, 24 uur."),
            Arranged("Ambulante dienst ZOUT", 24, ago(92)),
            Evaluated(
                EvaluationParty.SCHOOL,
                GoalAttainment.PARTLY_MET,
                ago(15),
                "De leerkracht past de tips toe; Joep werkt langer geconcentreerd.",
            ),
        ),
        # Sara: onderwijsassistent refused.
        Story(
            "sara",
            Pupil("Sara Koster", cal.born(9, 8, 8), "GM0310", "18ZC00"),
            Request(
                "oa",
                "Sara heeft extra instructie nodig bij rekenen.",
                ago(58),
                ago(54),
                arrangement_type="onderwijsassistent",
            ),
            Decided(
                ago(47),
                ago(46),
                "Afgewezen: verlengde instructie valt binnen de basisondersteuning.",
                granted=False,
            ),
        ),
        # Olivier: SBO TLV application just submitted, parents' view not yet given.
        Story(
            "olivier",
            Pupil("Olivier Maas", cal.born(6, 1, 30), "GM1581", "18ZD00"),
            Request(
                "tlv",
                "Olivier heeft een kleine groep nodig.",
                ago(6),
                tlv_type=TlvType.SBO,
                parent_view=ParentView.NOT_GIVEN,
            ),
            Shown("SBO TLV application just submitted", "SupportRequest"),
        ),
    )
    await play(desk, stories, first_enrolment=first_school_day)
