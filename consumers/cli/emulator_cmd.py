"""`ccstream emulator`: the embedded emulator in the foreground."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command("emulator")(emulator)


def emulator(
    port: int = typer.Option(4566, "--port", "-p", help="Port to listen on (127.0.0.1)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; keep it on loopback."),
) -> None:
    """Run moto (HTTP/1.1 + h2c via hypercorn) in the foreground until Ctrl-C.

    In another terminal: export AWS_ENDPOINT_URL=http://127.0.0.1:PORT, then `ccstream deploy`, `replay`, `consume`.
    """
    from consumers.emulator import serve_forever

    typer.echo(f"embedded emulator on http://{host}:{port}  (export AWS_ENDPOINT_URL=http://{host}:{port})")
    try:
        serve_forever(host, port)
    except KeyboardInterrupt:
        typer.echo("stopped")
