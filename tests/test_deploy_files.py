"""The deployment files agree with the project: the lock file pins what pyproject.toml pins,
and every documented compose command keeps Elasticsearch."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_lock_file_pins_every_dependency_of_pyproject_at_its_version():
    pinned = {}
    for requirement in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==(\S+)", requirement).groups()
        pinned[normalized(name)] = version
    locked = {normalized(name): version for name, version in
              re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", (ROOT / "requirements.lock").read_text(), re.M)}
    stale = [f"{name}: pyproject.toml pins {version}, requirements.lock has {locked.get(name, 'nothing')}"
             for name, version in sorted(pinned.items()) if locked.get(name) != version]
    assert not stale, ("requirements.lock is out of date with pyproject.toml; run `make lock` and commit "
                       "requirements.lock:\n  " + "\n  ".join(stale))


def documented_compose_commands() -> list[str]:
    commands = []
    for doc in ("docker-compose.yml", "README.md", "deploy/README.md", ".env.example"):
        commands += re.findall(r"docker compose [^`#\n]*\bup\b[^`#\n]*", (ROOT / doc).read_text())
    return commands


def test_every_documented_compose_command_that_names_profiles_names_an_elasticsearch_one():
    commands = documented_compose_commands()
    assert any("--profile monitoring" in command for command in commands)
    # A --profile on the command line replaces COMPOSE_PROFILES from .env (es-single).
    without_search = [command for command in commands
                      if "--profile" in command and not re.search(r"--profile es-(single|cluster)\b", command)]
    assert not without_search, f"these commands start the stack without Elasticsearch: {without_search}"
    profiles = re.findall(r"^\s+profiles: \[\"([^\"]+)\"\]", (ROOT / "docker-compose.yml").read_text(), re.M)
    assert {"es-single", "es-cluster", "monitoring"} <= set(profiles)
    assert re.search(r"^COMPOSE_PROFILES=es-single\b", (ROOT / ".env.example").read_text(), re.M)
