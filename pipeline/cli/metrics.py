"""`wattprint metrics`: the latest computed day as Prometheus metrics, served on 127.0.0.1
(`--port`) or written as a node_exporter textfile (`--textfile`); `run` writes the textfile too
when the config sets `reporting.metrics_textfile`. The figures: `pipeline.exports.metrics`."""

from __future__ import annotations

import errno
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.errors import USER_ERROR_EXIT, print_error, state
from pipeline.cli.options import ConfigOpt, config_or_exit, console
from pipeline.cli.processes import STOP_SIGNALS

HOST = "127.0.0.1"  # never another interface: the figures are for this machine's Prometheus
WAIT_S = 1.0  # how often the serving thread looks for a stop signal


def write_metrics(cfg, path: Path, key: str) -> Path:
    """Write the latest computed day's metrics to the textfile `path` (named by `key` in
    errors); an empty warehouse ends the command with one line and exit 1."""
    from pipeline.disclosure.build import code_version
    from pipeline.exports.metrics import (
        NoComputedDay,
        exposition,
        families,
        read_latest,
        write_textfile,
    )

    try:
        fig = read_latest(cfg.warehouse_path)
    except NoComputedDay as e:
        print_error(str(e))
        raise typer.Exit(1) from e
    return write_textfile(path, exposition(families(fig, code_version())), key)


def metrics(
    config: ConfigOpt = Path("wattprint.yaml"),
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help=f"serve the metrics on http://{HOST}:PORT/metrics"),
    ] = None,
    textfile: Annotated[
        Path | None,
        typer.Option(help="write them to this node_exporter textfile (*.prom) and exit"),
    ] = None,
) -> None:
    """The last computed day's energy, CO2e, water and cost per site, phase, model and team as
    Prometheus metrics: served on 127.0.0.1 until SIGTERM or Ctrl-C (--port), or written once as
    a node_exporter textfile (--textfile). Exit 1 when the warehouse has no computed day."""
    if (port is None) == (textfile is None):
        raise typer.BadParameter(
            "give --port N to serve the metrics on 127.0.0.1, or --textfile PATH.prom to write "
            "them once (not both)"
        )
    cfg = config_or_exit(config)
    if textfile is not None:
        state.path_keys[textfile.absolute()] = "--textfile"  # an error on it names the option
        typer.echo(f"metrics: {write_metrics(cfg, textfile, '--textfile')}")
        return
    assert port is not None
    raise typer.Exit(_serve(cfg, port))


def _serve(cfg, port: int) -> int:
    """Serve until a stop signal; 128 + its number (as `ui` ends)."""
    from prometheus_client import CollectorRegistry, start_http_server

    from pipeline.disclosure.build import code_version
    from pipeline.exports.metrics import NoComputedDay, WarehouseCollector

    collector = WarehouseCollector(cfg.warehouse_path, code_version())
    try:
        list(collector.collect())  # the first read: an empty warehouse ends here
    except NoComputedDay as e:
        print_error(str(e))
        return 1
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)

    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, frame) -> None:
        received.append(signum)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS}
    try:
        try:
            server, thread = start_http_server(port, addr=HOST, registry=registry)
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise
            print_error(
                f"--port {port}: {HOST}:{port} is already in use: expected a free port; stop "
                "what listens there or choose another --port"
            )
            return USER_ERROR_EXIT
        console.print(f"serving metrics on http://{HOST}:{port}/metrics", soft_wrap=True)
        while not stop.wait(WAIT_S):
            pass
        server.shutdown()
        server.server_close()
        thread.join()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 128 + received[0]
