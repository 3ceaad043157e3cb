"""A new client folder from the template (``funnelkit new``), with the client's name set."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import yaml

from ..core import paths
from ..core.errors import ConfigError, ReportError
from ..core.paths import slugify

__all__ = ["new_client"]


def new_client(name: str, parent: Path) -> Path:
    """Copy the client template to ``parent/<slug of name>`` and set ``client:``; the new folder.

    Raises
    ------
    ConfigError
        The folder already exists (nothing is overwritten).
    """
    template = paths.client_template_dir()
    if not (template / paths.CLIENT_CONFIG_NAME).is_file():
        raise ReportError(
            f"{template}: the client template has no {paths.CLIENT_CONFIG_NAME}; restore "
            "templates/client/ from the repository or set FUNNELKIT_TEMPLATE_DIR."
        )
    dest = Path(parent) / slugify(name)
    if dest.exists():
        raise ConfigError(
            f"{dest}: already exists; edit its {paths.CLIENT_CONFIG_NAME}, or pick another "
            "NAME or --dir."
        )
    try:
        shutil.copytree(template, dest, ignore=shutil.ignore_patterns(".gitkeep"))
    except FileExistsError:
        raise ConfigError(f"{dest}: already exists; pick another NAME or --dir.") from None
    (dest / "data").mkdir(exist_ok=True)
    config = dest / paths.CLIENT_CONFIG_NAME
    config.write_text(_set_client_name(config.read_text(encoding="utf-8"), name), encoding="utf-8")
    return dest


def _set_client_name(text: str, name: str) -> str:
    r"""Replace the value of the top-level ``client:`` line, keeping its comment and column.

    Examples
    --------
    >>> _set_client_name("client: New Client   # shown on the report\n", "Acme: EU")
    'client: "Acme: EU"   # shown on the report\n'
    """
    try:
        plain = yaml.safe_load(f"client: {name}") == {"client": name}
    except yaml.YAMLError:
        plain = False
    value = name if plain else json.dumps(name, ensure_ascii=False)
    pattern = re.compile(
        r"^client:[^\S\n]*(?:\"[^\"\n]*\"|'[^'\n]*'|[^#\n]*?)([^\S\n]*#[^\n]*)?$",
        flags=re.MULTILINE,
    )

    def replace(match: re.Match[str]) -> str:
        line = f"client: {value}"
        comment = match[1]
        if not comment:
            return line
        column = match.start(1) - match.start() + len(comment) - len(comment.lstrip())
        return line + " " * max(2, column - len(line)) + comment.lstrip()

    new_text, count = pattern.subn(replace, text, count=1)
    return new_text if count else f"client: {value}\n{text}"
