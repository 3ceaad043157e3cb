"""Branding: the consultant profile, a client's overrides, and every mistake caught up front."""

from __future__ import annotations

import re

import pytest

from funnelkit.core.errors import ConfigError
from funnelkit.data.branding import Branding, load_branding, logo_data_uri

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def profile(tmp_path, monkeypatch):
    path = tmp_path / "profile.yaml"
    monkeypatch.setenv("FUNNELKIT_PROFILE", str(path))
    return path


def test_no_profile_means_no_consultant_block(tmp_path, monkeypatch):
    monkeypatch.delenv("FUNNELKIT_PROFILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    branding = load_branding()
    assert branding.consultant is None and branding.accent_colour == "#0b5cad"


def test_client_overrides_profile_key_by_key(profile, tmp_path):
    (tmp_path / "logo.png").write_bytes(PNG)
    profile.write_text("consultant: Anna\ncompany: Petrova Analytics\nlogo: logo.png\n")
    client_dir = tmp_path / "client"
    client_dir.mkdir()
    branding = load_branding(
        Branding(company="Partner Co", accent="#aa0000"), client_dir=client_dir
    )
    assert (branding.consultant, branding.company, branding.accent_colour) == (
        "Anna",
        "Partner Co",
        "#aa0000",
    )
    assert branding.logo == tmp_path / "logo.png"  # relative to the profile's folder
    assert logo_data_uri(branding).startswith("data:image/png;base64,iVBOR")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("accent: blue\n", "is not a colour; write it as #rrggbb"),
        ("logo: logo.gif\n", "is not a PNG, JPEG or SVG file"),
        ("colour: '#000000'\n", "Allowed keys: consultant, company, contact, logo, accent"),
        ("logo: missing.png\n", "missing.png does not exist; fix the `logo:` path"),
        ("consultant: [a\n", "not valid YAML"),
    ],
)
def test_mistakes_name_the_file_key_and_fix(profile, text, message):
    profile.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        load_branding()
    assert str(profile) in str(err.value) or "logo" in message


def test_named_profile_that_does_not_exist(profile):
    with pytest.raises(ConfigError, match=r"FUNNELKIT_PROFILE names .* which does not exist"):
        load_branding()
