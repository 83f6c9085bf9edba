"""The beschikking: the decision letter on a support request, as HTML and as PDF, in Dutch.

It states the decision, its reasons (Awb 3:46) and the notice of objection rights Awb 3:45
requires: that one may object, within which term, with whom and how (Awb 6:5, 6:9). Built from
the recorded decision only, so the same events always give the same letter.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING
from uuid import UUID

from domain import deadlines
from domain.errors import RequestNotDecidedError
from domain.support_request import DecisionOutcome, SupportRequest
from domain.swv import Swv
from domain.tlv import FundingCategory, TlvType

if TYPE_CHECKING:
    import jinja2
    from fpdf import FPDF

_MONTHS = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]
_TLV_TYPES = {
    TlvType.SBO: "speciaal basisonderwijs (SBO)",
    TlvType.SO: "speciaal onderwijs (SO)",
    TlvType.VSO: "voortgezet speciaal onderwijs (VSO)",
}
_CATEGORIES = {
    FundingCategory.LOW: "laag (categorie 1)",
    FundingCategory.MEDIUM: "midden (categorie 2)",
    FundingCategory.HIGH: "hoog (categorie 3)",
}
_LBT = "Landelijke Bezwaaradviescommissie Toelaatbaarheidsverklaring (LBT)"


def lange_datum(day: date) -> str:
    """A date as a Dutch letter writes it: 7 april 2026."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True, slots=True)
class Beschikking:
    """What the letter says, in the order it says it; every line already in Dutch."""

    swv_name: str
    committee_name: str
    request_id: UUID
    school_code: str
    pupil_name: str | None  # None once the pupil's data was shredded
    subject: str
    decision: str
    terms: tuple[str, ...]
    reasons: str | None
    decided_on: date
    policy_version: str
    sent_on: date | None
    objection_notice: tuple[str, ...]

    @property
    def title(self) -> str:
        return f"Beschikking: {self.subject}"


def beschikking_of(
    request: SupportRequest, swv: Swv, *, pupil_name: str | None = None
) -> Beschikking:
    """The letter on ``request``'s decision; refused while there is no decision."""
    if request.outcome is None or request.decided_on is None:
        raise RequestNotDecidedError(
            f"Request {request.id} has not been decided: there is no beschikking yet.",
            fields=("request_id",),
        )
    granted = request.outcome is DecisionOutcome.GRANTED
    if request.tlv_type is not None:
        subject = f"toelaatbaarheidsverklaring {_TLV_TYPES[request.tlv_type]}"
    else:
        subject = f"arrangement {request.arrangement_type}"
    return Beschikking(
        swv_name=swv.name,
        committee_name=swv.committee_name,
        request_id=request.id,
        school_code=request.school_code,
        pupil_name=pupil_name,
        subject=subject,
        decision=(
            f"Het bestuur van {swv.name} kent de aanvraag voor een {subject} toe."
            if granted
            else f"Het bestuur van {swv.name} wijst de aanvraag voor een {subject} af."
        ),
        terms=_terms(request) if granted else (),
        reasons=request.reasons,
        decided_on=request.decided_on,
        policy_version=request.policy_version or swv.policy_on(request.decided_on).version,
        sent_on=request.notified_on,
        objection_notice=_objection_notice(request, swv),
    )


def _terms(request: SupportRequest) -> tuple[str, ...]:
    terms = []
    if request.funding_category is not None:
        terms.append(f"Bekostigingscategorie: {_CATEGORIES[request.funding_category]}.")
    if request.valid_from is not None and request.valid_until is not None:
        terms.append(
            f"Geldig van {lange_datum(request.valid_from)} tot en met "
            f"{lange_datum(request.valid_until)}."
        )
    return tuple(terms)


def _objection_notice(request: SupportRequest, swv: Swv) -> tuple[str, ...]:
    """Awb 3:45: the notice of objection rights, with the term's last day once it was sent."""
    if request.notified_on is None:
        term = (
            "Dat kan binnen zes weken na de dag waarop dit besluit is verzonden of uitgereikt "
            "(artikel 6:7 en 6:8 Awb)."
        )
    else:
        last_day = deadlines.objection_deadline(request.notified_on)
        term = (
            f"Dit besluit is verzonden op {lange_datum(request.notified_on)}. De termijn van "
            f"zes weken (artikel 6:7 en 6:8 Awb) eindigt op {lange_datum(last_day)}."
        )
    notice = [
        (
            "Bent u het niet eens met dit besluit? Dan kunt u als belanghebbende, zoals ouder of "
            f"bevoegd gezag van de school, bezwaar maken bij het bestuur van {swv.name}."
        ),
        term,
        (
            "Het bezwaarschrift is ondertekend en bevat ten minste uw naam en adres, de datum, "
            "een omschrijving van het besluit waartegen u bezwaar maakt en de redenen van uw "
            "bezwaar (artikel 6:5 Awb)."
        ),
        (
            "Een bezwaarschrift dat per post is verstuurd, is op tijd als het vóór het einde van "
            "de termijn is gepost en uiterlijk een week daarna is ontvangen (artikel 6:9 Awb). "
            "Een bezwaarschrift per e-mail moet binnen de termijn zijn ontvangen."
        ),
        (
            "Komt uw bezwaarschrift te laat binnen, dan vragen wij u eerst naar de reden; is de "
            "termijnoverschrijding u niet te verwijten, dan behandelen wij het bezwaar gewoon "
            "(artikel 6:11 Awb)."
        ),
    ]
    # the LBT hears an objection if the SWV was affiliated when the decision was taken
    decided = swv.policy_on(request.decided_on) if request.decided_on else swv.policy
    if decided.lbt_affiliated:
        notice.append(
            f"Het bestuur vraagt over uw bezwaar advies aan de {_LBT} van Stichting "
            "Onderwijsgeschillen, die u en het samenwerkingsverband hoort."
        )
    return tuple(notice)


_HTML = """<!doctype html>
<html lang="nl">
<head><meta charset="utf-8"><title>{{ b.title }}</title></head>
<body>
<header>
  <p>{{ b.swv_name }}</p>
  <p>Kenmerk: {{ b.request_id }}<br>Datum: {{ lange_datum(b.decided_on) }}</p>
</header>
<h1>{{ b.title }}</h1>
<p>Leerling: {{ b.pupil_name or "(gegevens verwijderd)" }}<br>School: {{ b.school_code }}</p>
<h2>Besluit</h2>
<p>{{ b.decision }}</p>
{% if b.terms %}<ul>{% for term in b.terms %}<li>{{ term }}</li>{% endfor %}</ul>{% endif %}
<h2>Motivering</h2>
<p>{{ b.reasons or "(gegevens verwijderd)" }}</p>
<p>Dit besluit is genomen op advies van de {{ b.committee_name }}, onder het
ondersteuningsplan {{ b.policy_version }}.</p>
<h2>Bezwaar maken</h2>
{% for line in b.objection_notice %}<p>{{ line }}</p>
{% endfor %}</body>
</html>
"""


@functools.cache
def _html_template() -> jinja2.Template:
    # jinja2 costs every command a second of start-up; only the letter's routes need it
    import jinja2  # noqa: PLC0415

    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return environment.from_string(_HTML)


def render_html(beschikking: Beschikking) -> str:
    return _html_template().render(b=beschikking, lange_datum=lange_datum)


def _heading(letter: FPDF, text: str) -> None:
    letter.set_font("Helvetica", "B", 12)
    letter.multi_cell(0, 7, _latin(text), new_x="LMARGIN", new_y="NEXT")
    letter.set_font("Helvetica", "", 11)


def _paragraph(letter: FPDF, text: str) -> None:
    letter.multi_cell(0, 6, _latin(text), new_x="LMARGIN", new_y="NEXT")
    letter.ln(2)


def _latin(text: str) -> str:
    """The PDF's core font speaks Latin-1: keep Dutch letters, replace the rest."""
    return text.encode("latin-1", "replace").decode("latin-1")


def render_pdf(beschikking: Beschikking) -> bytes:
    # fpdf2 (with numpy and fontTools) takes seconds to import: only the PDF route pays for it
    from fpdf import FPDF  # noqa: PLC0415

    b = beschikking
    letter = FPDF(format="A4")
    letter.set_title(b.title)
    # dated by the decision, not the clock: the same decision gives the same bytes
    letter.set_creation_date(datetime.combine(b.decided_on, time(), tzinfo=UTC))
    letter.add_page()
    letter.set_font("Helvetica", "", 11)
    _paragraph(letter, f"{b.swv_name}\nKenmerk: {b.request_id}\nDatum: {lange_datum(b.decided_on)}")
    _heading(letter, b.title)
    _paragraph(
        letter, f"Leerling: {b.pupil_name or '(gegevens verwijderd)'}\nSchool: {b.school_code}"
    )
    _heading(letter, "Besluit")
    _paragraph(letter, b.decision)
    for term in b.terms:
        _paragraph(letter, f"- {term}")
    _heading(letter, "Motivering")
    _paragraph(letter, b.reasons or "(gegevens verwijderd)")
    _paragraph(
        letter,
        f"Dit besluit is genomen op advies van de {b.committee_name}, onder het "
        f"ondersteuningsplan {b.policy_version}.",
    )
    _heading(letter, "Bezwaar maken")
    for line in b.objection_notice:
        _paragraph(letter, line)
    return bytes(letter.output())
