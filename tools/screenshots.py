"""Regenerate the README's pictures of what a client receives (``make screenshots``).

Runs the demo client in English and in Russian into a temporary folder, opens each
``report.html`` in headless Chromium (offline) and saves the top of the front page, on a desktop
screen and on a 390-px phone, as ``docs/img/front-<language>[-phone].png``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from PIL import Image

from funnelkit.core import paths
from funnelkit.demo import ensure_demo_data
from funnelkit.run.deliver import headless_command
from funnelkit.run.report import run_client

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "img"
SHOTS = {"": (1200, 1500), "-phone": (390, 1500)}


def _client(tmp: Path, language: str) -> Path:
    data = ensure_demo_data(paths.demo_client_dir() / "data")
    config = yaml.safe_load((paths.demo_client_dir() / "client.yaml").read_text(encoding="utf-8"))
    config["language"] = language
    for table in config["data"].values():
        table["path"] = str(data / Path(table["path"]).name)
    folder = tmp / f"demo-{language}"
    folder.mkdir()
    (folder / "client.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    return folder


def _shoot(browser: str, page: Path, target: Path, size: tuple[int, int], tmp: Path) -> None:
    width, height = size
    subprocess.run(
        [
            *headless_command(browser, tmp / "profile"),
            "--hide-scrollbars",
            f"--window-size={width},{height}",
            f"--screenshot={target}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    Image.open(target).convert("RGB").save(target, optimize=True)


def main() -> int:
    """Run the demo in both languages and save the screenshots; the exit code."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("screenshots need Chromium (Debian: apt install chromium)", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for language in ("en", "ru"):
            result = run_client(
                _client(tmp, language), output_dir=tmp / f"reports-{language}", log=print
            )
            for suffix, size in SHOTS.items():
                target = OUT / f"front-{language}{suffix}.png"
                _shoot(browser, result.report_dir / "report.html", target, size, tmp)
                print(f"wrote {target.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
