"""Finding pupils and cases without names in any URL, index or log.

``POST …/pupil-searches`` takes a name and/or date of birth in the body (never in the URL) and
answers with pseudonymous ids, matched through the tenant's keyed blind indexes.
``GET …/cases`` lists cases by status, school, kind, type and deadline, paged.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ServiceUnavailableException, ValidationException
from litestar.params import QueryParameter, SkipValidation

from api import authorisation
from api.auth import Principal
from api.personal_reads import CASE_HANDLING, personal
from api.routes.as_of import REPLAY, ReplayDependency
from api.routes.read_models import (
    ERRORS,
    WHOLE_LOG,
    PoolDependency,
    provide_pool,
    read_model,
    served,
)
from api.schemas.common import example
from infrastructure.data_keys import DataKeys
from infrastructure.event_store import PostgresEventStore
from projections.as_of import case_list_as_of
from projections.case_list import MAX_PAGE, MAX_PAGE_SIZE, CaseFilter, CaseList, fetch_case_list
from projections.cases import CaseKind, CaseStatus
from projections.pupil_index import find_pupils

_CODE = r"^[0-9A-Za-z_-]{1,64}$"


class PupilSearchBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A name, a date of birth, or both; matched exactly after normalising case and accents."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    date_of_birth: date | None = None


class PupilSearchResult(msgspec.Struct, frozen=True, kw_only=True):
    pupil_ids: list[UUID]


def provide_data_keys(state: State) -> DataKeys:
    store = state.get("event_store")
    if not isinstance(store, PostgresEventStore):
        raise ServiceUnavailableException("The database is not ready yet; try again shortly.")
    return store.data_keys


class FindingController(Controller):
    path = "/v1/tenants/{swv_code:str}"
    tags = ("finding",)
    dependencies = {  # noqa: RUF012
        "pool": Provide(provide_pool, sync_to_thread=False),
        "data_keys": Provide(provide_data_keys, sync_to_thread=False),
    }

    @post(
        "/pupil-searches",
        summary="Find pupils by name and/or date of birth (in the body, never in the URL)",
        description="Answers pseudonymous ids only; matching runs on keyed blind indexes.",
        guards=[authorisation.finds_pupils],
        responses=ERRORS,
        status_code=200,
        opt=personal("search", CASE_HANDLING),
    )
    async def search(
        self,
        data: Annotated[
            PupilSearchBody, example({"name": "Sam de Vries", "date_of_birth": "2017-05-12"})
        ],
        principal: NamedDependency[Principal],
        pool: PoolDependency,
        data_keys: NamedDependency[SkipValidation[DataKeys]],
    ) -> PupilSearchResult:
        if data.name is None and data.date_of_birth is None:
            raise ValidationException(
                "Give a name, a date of birth, or both.",
                extra=[{"key": "name", "message": "a name or a date of birth is needed"}],
            )
        async with read_model(pool) as conn:
            found = await find_pupils(
                conn,
                data_keys,
                principal.tenant_id,
                name=data.name,
                date_of_birth=data.date_of_birth,
            )
        return PupilSearchResult(pupil_ids=found)

    @get(
        "/cases",
        summary="Cases by status, school, kind, type and deadline, paged; no names",
        description=WHOLE_LOG,
        guards=[authorisation.or_as_of(authorisation.lists_cases)],
        responses=ERRORS,
        dependencies=REPLAY,
        opt=personal("list", CASE_HANDLING),
    )
    async def cases(  # noqa: PLR0913 - the list's filters
        self,
        *,
        principal: NamedDependency[Principal],
        pool: PoolDependency,
        replay: ReplayDependency,
        status: Annotated[CaseStatus | None, QueryParameter()] = None,
        school: Annotated[
            str | None, QueryParameter(description="A school code.", pattern=_CODE)
        ] = None,
        kind: Annotated[CaseKind | None, QueryParameter()] = None,
        type_: Annotated[
            str | None,
            QueryParameter(name="type", description="TLV or arrangement type.", pattern=_CODE),
        ] = None,
        due_by: Annotated[
            date | None, QueryParameter(description="Next deadline on or before this day.")
        ] = None,
        page: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = 50,
    ) -> CaseList:
        tenant = principal.tenant_id
        where = CaseFilter(status=status, school=school, kind=kind, type=type_, due_by=due_by)
        return await served(
            replay,
            pool,
            from_log=lambda log, position: case_list_as_of(
                log, tenant, where, position=position, page=page, page_size=page_size
            ),
            from_table=lambda conn: fetch_case_list(
                conn, tenant, where, page=page, page_size=page_size
            ),
        )
