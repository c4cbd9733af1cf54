"""docker-compose.yml against the code (no Docker engine here, so a static check): every
sohoa service's command parses as a `sohoa` command line, health checks included, every
SOHOA_ variable it or its env file sets is a setting the code reads, and what a
deployment needs is there."""
from __future__ import annotations

from pathlib import Path

import click
import pytest
import yaml

from cli.main import main
from pipeline.core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
SOHOA = {name: s for name, s in SERVICES.items() if s.get("build") == "."}
NEEDED = {"SOHOA_BROKER_URL", "SOHOA_DATABASE_URL", "SOHOA_S3_ENDPOINT", "SOHOA_S3_ACCESS_KEY",
          "SOHOA_S3_SECRET_KEY", "SOHOA_AGENCY_CODE", "SOHOA_AGENCY_NAME", "SOHOA_SIGNING_P12"}


def parse_sohoa(argv: list[str]) -> click.Context:
    """Parse a command line as `sohoa` would, without running it (UsageError if wrong)."""
    command = main.get_command(click.Context(main), argv[0])
    assert command is not None, f"sohoa has no command {argv[0]!r}"
    return command.make_context(argv[0], list(argv[1:]))


def env_names(service: dict) -> set[str]:
    names = set(service.get("environment") or {})
    for env_file in service.get("env_file") or []:
        example = ROOT / f"{env_file}.example"
        assert example.is_file(), f"{env_file} has no {example.name} to copy from"
        names |= {line.split("=", 1)[0].strip() for line in example.read_text().splitlines()
                  if line.strip() and not line.lstrip().startswith("#")}
    return names


def test_the_expected_services_are_there():
    assert {"postgres", "minio", "redis", "worker-pages", "worker-documents", "api"} <= set(SERVICES)
    for name, service in SERVICES.items():
        assert "healthcheck" in service or service.get("profiles"), f"{name} has no health check"
        for needed in service.get("depends_on") or {}:
            assert needed in SERVICES, (name, needed)
            assert "healthcheck" in SERVICES[needed]
        for volume in service.get("volumes") or []:
            assert volume.split(":")[0] in COMPOSE["volumes"], (name, volume)
    for secret in {s for service in SOHOA.values() for s in service.get("secrets", [])}:
        assert secret in COMPOSE["secrets"]


@pytest.mark.parametrize("name", sorted(SOHOA))
def test_command_and_health_check_parse_as_sohoa(name):
    service = SOHOA[name]
    if "command" in service:  # intake: given on `docker compose run`
        parse_sohoa(service["command"])
    check = (service.get("healthcheck") or {}).get("test")
    if check:
        assert check[:2] == ["CMD", "sohoa"], check
        parse_sohoa(check[2:])


@pytest.mark.parametrize("name", sorted(SOHOA))
def test_environment_is_what_the_code_reads(name):
    names = env_names(SOHOA[name])
    unknown = {n for n in names if not n.startswith("SOHOA_")
               or n.removeprefix("SOHOA_").lower() not in Settings.model_fields}
    assert not unknown, f"{name} sets variables nothing reads: {sorted(unknown)}"
    assert names >= NEEDED, f"{name} lacks {sorted(NEEDED - names)}"


def test_workers_split_by_work_class_and_stop_gracefully():
    work = {name: parse_sohoa(s["command"]).params.get("work") for name, s in SOHOA.items()
            if s.get("command", [""])[0] == "worker"}
    assert sorted(work.values()) == ["documents", "pages"], work
    longest = max(Settings().page_time_limit_s, Settings().document_time_limit_s)
    for name in work:
        grace = SOHOA[name]["stop_grace_period"]
        assert grace.endswith("m") and int(grace[:-1]) * 60 > longest, (name, grace)


def test_secrets_stay_out_of_the_repository():
    text = (ROOT / "docker-compose.yml").read_text()
    assert "PASSWORD:" not in text and "SECRET_KEY:" not in text
    assert "deploy/*.env" in (ROOT / ".gitignore").read_text().splitlines()
    assert "deploy/*.env" in (ROOT / ".dockerignore").read_text().splitlines()
