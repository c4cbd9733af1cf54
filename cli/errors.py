"""The one place where errors become exit codes and sentences on stderr.

Exit codes of every `sohoa` command: 0 all went well; 1 a document, a copy or a signature
was refused or failed (one Vietnamese sentence says why); 2 a usage or configuration
mistake (the operator's to fix: a wrong option, setting, key or missing program); 130
stopped by Ctrl-C.
"""
from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import TypeVar

import click

from pipeline.core.errors import ConfigurationError, SohoaError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
log = logging.getLogger("sohoa.cli")
F = TypeVar("F", bound=Callable[..., object])


def exit_code(exc: SohoaError) -> int:
    return EXIT_USAGE if isinstance(exc, ConfigurationError) else EXIT_FAILED


def reports_errors(command: F) -> F:
    """Wrap a command: a SohoaError is printed as its sentence and exits with its code."""

    @functools.wraps(command)
    def run(*args: object, **kwargs: object) -> object:
        try:
            return command(*args, **kwargs)
        except SohoaError as exc:
            log.info("%s [%s]: %s", command.__name__, exc.code, exc.detail)
            prefix = "Lỗi cấu hình" if isinstance(exc, ConfigurationError) else "Lỗi"
            click.echo(f"{prefix}: {exc.message}", err=True)
            sys.exit(exit_code(exc))

    return run  # type: ignore[return-value]
