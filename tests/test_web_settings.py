"""The web server's settings: WEB_PORT and its old names, PUBLIC_URL, the map's tiles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import OSM_TILES, SHIPPED_ORG_FILE, ConfigError, load_settings
from bot.org import OrgFileError, load_organisation
from web.state import security_headers


def settings_from(**values: str) -> Any:
    return load_settings(values, env_file=Path("/nonexistent/.env"))


def test_no_web_server_unless_asked_and_its_old_names_still_work() -> None:
    assert settings_from().web_port is None
    assert settings_from(WEB_PORT="8088").web_port == 8088
    assert settings_from(HEALTH_PORT="9090").web_port == 9090  # an alias of WEB_PORT
    assert settings_from(WEB_PORT="9090", HEALTH_PORT="9090").health_port == 9090
    hook = settings_from(WEBHOOK_URL="https://b.example.org/h", WEBHOOK_SECRET="x" * 20)
    assert hook.web_port == 8080 and hook.webhook_port == 8080
    assert settings_from(WEB_LISTEN="0.0.0.0").web_listen == "0.0.0.0"


@pytest.mark.parametrize(("values", "variable"), [
    ({"WEB_PORT": "8080", "HEALTH_PORT": "9090"}, "WEB_PORT"),
    ({"WEB_PORT": "web"}, "WEB_PORT"),
    ({"PUBLIC_URL": "https://bot.example.org"}, "WEB_PORT"),  # a dashboard nobody serves
    ({"PUBLIC_URL": "http://bot.example.org", "WEB_PORT": "8080"}, "PUBLIC_URL"),  # loopback
    ({"PUBLIC_URL": "bot.example.org", "WEB_PORT": "8080"}, "PUBLIC_URL"),
    ({"PUBLIC_URL": "https://bot.example.org/?x=1", "WEB_PORT": "8080"}, "PUBLIC_URL"),
    ({"MAP_TILES_URL": "http://tiles.example.org/{z}/{x}/{y}.png"}, "MAP_TILES_URL"),
    ({"MAP_TILES_URL": "https://tiles.example.org/tile.png"}, "MAP_TILES_URL"),
])
def test_a_bad_web_setting_names_its_variable(values: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from(**values)
    assert raised.value.variable == variable


def test_public_url_and_the_mini_app() -> None:
    assert not settings_from().mini_app and settings_from().dashboard_url is None
    local = settings_from(PUBLIC_URL="http://127.0.0.1:8080/", WEB_PORT="8080")
    assert local.public_url == "http://127.0.0.1:8080" and not local.mini_app
    public = settings_from(PUBLIC_URL="https://bot.example.org", HEALTH_PORT="8080")
    assert public.mini_app and public.dashboard_url == "https://bot.example.org/app/"


def test_tiles_default_to_openstreetmap_or_none_at_all() -> None:
    assert settings_from().map_tiles_url == OSM_TILES
    none = settings_from(MAP_TILES_URL="none")
    assert none.map_tiles_url == ""
    csp = dict(security_headers(none))[b"content-security-policy"].decode()
    assert "img-src 'self' data:;" in csp
    bale = settings_from(MESSENGER="bale",
                         MAP_TILES_URL="https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    csp = dict(security_headers(bale))[b"content-security-policy"].decode()
    assert "script-src 'self' https://tapi.bale.ai;" in csp
    assert "img-src 'self' data: https://*.tiles.example.org;" in csp


def test_every_shipped_neighbourhood_has_approximate_coordinates() -> None:
    org = load_organisation(SHIPPED_ORG_FILE)
    places = org.coordinates()
    assert len(places) == sum(len(o.neighbourhoods) for o in org.offices)
    for lat, lon in places.values():  # around the city of Kerman
        assert 30.1 < lat < 30.4 and 56.9 < lon < 57.2
    assert "APPROXIMATE" in SHIPPED_ORG_FILE.read_text(encoding="utf-8")


def test_a_neighbourhood_with_half_a_place_is_refused(tmp_path: Path) -> None:
    text = SHIPPED_ORG_FILE.read_text(encoding="utf-8").replace(
        "lat = 30.2860, lon = 57.0900", "lat = 30.2860")
    broken = tmp_path / "org.toml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(OrgFileError, match=r"pamenar.*lat"):
        load_organisation(broken)
