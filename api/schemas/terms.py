"""Bodies of the steps the law adds to a case's terms: 4:14 notices, 6:11 and 7:10 steps."""

from __future__ import annotations

from datetime import date

from api.schemas.common import RequestBody


class DecisionTermExtensionBody(RequestBody, frozen=True, kw_only=True):
    """A notice under Awb 4:14 that the decision takes until ``extended_to``."""

    reason: str
    extended_to: date
    notified_on: date | None = None


class LatenessExplanationBody(RequestBody, frozen=True, kw_only=True):
    """Why the objector says a late objection came late."""

    explanation: str
    received_on: date | None = None


class LatenessRulingBody(RequestBody, frozen=True, kw_only=True):
    """The committee's ruling whether the lateness is excusable (Awb 6:11)."""

    excusable: bool
    reasons: str
    decided_on: date | None = None


class DecisionPostponementBody(RequestBody, frozen=True, kw_only=True):
    """The decision on the objection postponed once by six weeks (Awb 7:10 lid 3)."""

    reason: str
    notified_on: date | None = None


class LongerTermConsentBody(RequestBody, frozen=True, kw_only=True):
    """The objector agreed to a decision by ``agreed_until`` (Awb 7:10 lid 4)."""

    agreed_until: date
    consented_on: date | None = None
