"""Headless Chromium for the report checks: load a page offline and measure its layout.

A copy of the page gets a small script that, once loaded, writes what it measured into a
``<pre id="fk-probe">`` as JSON; ``--dump-dom`` returns the DOM and the test reads the JSON.
``print_layout=True`` makes the print stylesheet apply on screen (``@media print`` -> all,
the phone rules off), so a window as wide as an A4 page's text shows what paper would cut.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from funnelkit.run.deliver import headless_command

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
#: An A4 page's text width at 96 px per inch: 210 mm less 2 × 14 mm margins.
A4_TEXT_PX = int((210 - 28) / 25.4 * 96)

_PROBE = """<script>
window.addEventListener('load', () => {
  const W = document.documentElement.clientWidth;
  const boxed = '.fk-table, .fk-figure, .fk-nav';
  const overflowing = [];
  for (const el of document.querySelectorAll('main *, header *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > W + 1 && !el.closest(boxed)) {
      overflowing.push(el.tagName + ' ' + (el.textContent || '').trim().slice(0, 60));
    }
  }
  const tables = [...document.querySelectorAll('.fk-table table')].map(t => {
    const r = t.getBoundingClientRect();
    return {right: Math.round(r.right), text: (t.textContent || '').trim().slice(0, 60)};
  });
  const images = [...document.querySelectorAll('.fk-figure img')].map(i => ({
    shown: i.getBoundingClientRect().width, natural: parseFloat(i.getAttribute('width')),
    alt: i.getAttribute('alt') || ''}));
  const pre = document.createElement('pre');
  pre.id = 'fk-probe';
  pre.textContent = JSON.stringify({width: W, scroll: document.documentElement.scrollWidth,
    overflowing: overflowing.slice(0, 20), tables, images});
  document.body.appendChild(pre);
});
</script>"""


def probe(page: Path, tmp: Path, *, width: int, print_layout: bool = False) -> dict:
    """Load ``page`` in a ``width``-px window and return the probe's measurements."""
    text = page.read_text(encoding="utf-8")
    if print_layout:
        text = text.replace("@media print", "@media all").replace(
            "@media (max-width: 600px)", "@media not all"
        )
    copy = tmp / f"probe-{width}-{int(print_layout)}-{page.name}"
    copy.write_text(text.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    result = subprocess.run(
        [
            *headless_command(BROWSER, tmp / "profile"),
            f"--window-size={width},900",
            "--virtual-time-budget=5000",
            "--dump-dom",
            copy.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'<pre id="fk-probe">(.*?)</pre>', result.stdout, re.S)
    assert found, "the probe script did not run"
    return json.loads(
        found.group(1)
        .replace("&quot;", '"')
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
    )


def pdf_pages(pdf: Path) -> tuple[int, set[tuple[float, float]]]:
    """Number of pages of a Chromium PDF and the set of page sizes (points)."""
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    boxes = {
        tuple(round(float(v)) for v in box.split()[2:4])
        for box in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", data)
    }
    return pages, boxes
