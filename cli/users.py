"""`sohoa user …`: staff users of an agency (the pages' sign-in), so the first agency
admin can be made from the command line. The password is read from standard input (one
line) or asked for at the terminal, never taken from the command line (it would stay in
the shell's history and in the process list)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cli.errors import reports_errors
from cli.serve import _data, _database, _settings

ROLE_CHOICES = ["clerk", "reviewer", "certifier", "auditor", "agency_admin"]


def _password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại mật khẩu",
                            err=True)
    return sys.stdin.readline().rstrip("\r\n")


@click.group("user")
def user() -> None:
    """Staff users of an agency: create, list, change role, deactivate."""


@user.command("create")
@_data
@click.option("--agency", required=True, help="Agency code, e.g. H00.00.00.00.")
@click.option("--agency-name", help="The agency's name, when it is new.")
@click.option("--role", type=click.Choice(ROLE_CHOICES), required=True)
@click.option("--username", required=True, help="Sign-in name (lower case, no spaces).")
@click.option("--name", "display_name", required=True, help="Full name as shown on pages.")
@reports_errors
def user_create(data: Path | None, agency: str, agency_name: str | None, role: str,
                username: str, display_name: str) -> None:
    """Create a user; the password comes from stdin or a prompt."""
    from storage.users import UserError

    password = _password()
    with _database(_settings(data)) as db:
        try:
            db.tokens.ensure_agency(agency, agency_name)
            made = db.users.create(agency, username, display_name, role, password=password)
        except (UserError, ValueError) as exc:
            raise click.UsageError(str(exc)) from None
        db.audit.append(actor="cli", action="user.created", object_type="user",
                        object_id=made.id, agency_code=agency,
                        changes={"username": made.username, "name": made.display_name,
                                 "role": role})
    click.echo(f"Đã tạo người dùng {made.username} ({made.id}) của {agency}, vai trò {role}.",
               err=True)
    click.echo(made.id)


@user.command("list")
@_data
@click.option("--agency", required=True)
def user_list(data: Path | None, agency: str) -> None:
    """An agency's users as JSON lines (never their password hashes)."""
    with _database(_settings(data)) as db:
        for u in db.users.list(agency):
            click.echo(json.dumps({"id": u.id, "username": u.username, "name": u.display_name,
                                   "role": u.role, "active": u.active}, ensure_ascii=False))
