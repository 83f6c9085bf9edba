"""The store's integration tests write notes, events only tests know: in a database apart."""

from __future__ import annotations

from tests.conftest import database_of_its_own

database_dsns, app_pool = database_of_its_own("passend_test_integration")
