"""``passend witness``: a C2SP tlog-witness as its own process, with its own key.

Run by someone other than the platform (the inspectorate, another region): it cosigns a
tenant log's checkpoint only when a consistency proof shows it extends the last one it
cosigned, so the platform cannot show two histories. ``POST /add-checkpoint`` as the spec says;
``GET /key`` gives its verifier key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from litestar import Litestar, Request, Response, get, post

from infrastructure.signed_note import COSIGNATURE_V1, Signer, Verifier, load_or_create_key
from infrastructure.witness import Witness


def witness_app(witness: Witness) -> Litestar:
    @post("/add-checkpoint", status_code=200)
    async def add_checkpoint(request: Request[Any, Any, Any]) -> Response[str]:
        answer = await witness.add_checkpoint((await request.body()).decode())
        return Response(answer.body, status_code=answer.status, media_type=answer.content_type)

    @get("/key", media_type="text/plain")
    async def key() -> str:
        return witness.signer.verifier.vkey + "\n"

    return Litestar(route_handlers=[add_checkpoint, key], openapi_config=None)


def witness(  # noqa: PLR0913, PLR0917 - a command's options are its parameters
    name: Annotated[str, typer.Option(help="The witness's key name, e.g. inspectie.nl/w1.")],
    log: Annotated[list[str], typer.Option(help="A log key (vkey) to witness (repeatable).")],
    key_file: Annotated[
        Path, typer.Option(help="Its Ed25519 key (PEM), generated on first start.")
    ] = Path("var/witness/key.pem"),
    state_file: Annotated[
        Path, typer.Option(help="Where it keeps the last checkpoint it cosigned per log.")
    ] = Path("var/witness/state.json"),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7380,
) -> None:
    """Run a witness that cosigns the given logs' consistent checkpoints."""
    import uvicorn  # noqa: PLC0415 - imported by this command only, not by every other one

    signer = Signer(name, load_or_create_key(key_file), COSIGNATURE_V1)
    state_file.parent.mkdir(parents=True, exist_ok=True)
    app = witness_app(Witness(signer, [Verifier.from_vkey(v) for v in log], state_file))
    typer.echo(f"witness key: {signer.verifier.vkey}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
