"""structlog set-up: library code logs, only the CLI prints."""

from __future__ import annotations

import logging
import sys

import structlog


def configure(level: str = "WARNING", json: bool = False) -> None:
    """Route structlog (and stdlib logging) to stderr at `level`."""
    lvl = getattr(logging, level.upper(), logging.WARNING)
    logging.basicConfig(stream=sys.stderr, level=lvl, format="%(message)s")
    renderer = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger bound to `name`; unconfigured, it logs warnings and up to stderr."""
    if not structlog.is_configured():
        # structlog's own default prints every level to stdout, which would mix library
        # chatter into command output; the CLI and tests reconfigure as they need.
        configure()
    return structlog.get_logger(name)
