"""HTTP routes, one module per resource; ``ROUTES`` lists every controller and handler."""

from litestar.types import ControllerRouterHandler

from api.routes.me import me

ROUTES: list[ControllerRouterHandler] = [me]
