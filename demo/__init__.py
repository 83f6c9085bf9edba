"""Demo data: real SWVs (Passenderwijs, SWV VO RUW, SWV ZOUT) with fictional schools and pupils.

``seed_demo`` configures each tenant and plays realistic cases through the application
handlers, with business dates spread over the months before "today".
"""

from demo.desk import Highlight
from demo.seed import DemoSummary, SeedStatus, TenantSummary, seed_demo

__all__ = ["DemoSummary", "Highlight", "SeedStatus", "TenantSummary", "seed_demo"]
