"""`sohoa verify FILE`: check a signed PDF; Vietnamese report, or JSON with --json.

Exit codes: 0 every signature valid and intact, 1 otherwise (or no signature), 2 usage.
Trusted roots: the test identity's CA (if it exists under SOHOA_HOME), every --trust PEM,
and the files listed in SOHOA_TRUST_ROOTS (separated by ':').
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from cli.errors import reports_errors
from cli.terminal import visible, visible_json


def _trust_roots(extra: tuple[Path, ...]) -> list:
    from pipeline.core.errors import SigningError
    from pipeline.core.settings import load_settings
    from pipeline.signing.configured import development_ca_paths
    from pipeline.signing.pades import trust_roots

    settings = load_settings()
    paths: list[Path | str] = []
    try:
        paths += development_ca_paths(settings)
    except Exception as exc:  # a broken environment must not stop a verification
        logging.getLogger(__name__).warning("test identity CA not used: %s", exc)
    try:
        return list(trust_roots([*paths, *extra, *settings.trust_root_paths()]))
    except SigningError as exc:
        raise click.UsageError(exc.message) from exc


@click.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--trust", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A trusted root CA certificate (PEM or DER); may be repeated.")
@click.option("--online", is_flag=True,
              help="Fetch missing revocation data (OCSP/CRL) now instead of using only the file's.")
@reports_errors
def verify(file: Path, as_json: bool, trust: tuple[Path, ...], online: bool) -> None:
    """Verify the signatures of a signed PDF (integrity, signers, times, trust, PDF/A)."""
    from pipeline.signing.report import report_text
    from pipeline.signing.validation import verify_pdf

    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        # pyHanko logs every failed check with a traceback; the report says it all
        for name in ("pyhanko", "pyhanko_certvalidator"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    report = verify_pdf(file.read_bytes(), trust_roots=_trust_roots(trust), online=online,
                        name=str(file))
    # The file's name, its signers' names, its field names come from outside: inert.
    click.echo(visible_json(report.to_json()) if as_json else visible(report_text(report), "\n"))
    sys.exit(0 if report.ok else 1)
