"""Device presets: shipped TOML files, aliases, user files, one-line validation errors."""

from __future__ import annotations

import pytest

from cimbench.device.preset import (DevicePreset, list_presets, load_preset, preset_from_dict,
                                    presets_dir)
from cimbench.errors import ConfigError

EXPECTED = {"rram", "agsi", "taox-hfox", "pcmo", "alox-hfo2", "gst-pcm", "epiram", "hzo-fefet",
            "sram", "ideal"}


def test_every_preset_loads():
    names = set(list_presets())
    assert EXPECTED <= names
    for name in names:
        p = load_preset(name)
        assert isinstance(p, DevicePreset) and p.name == name
        assert p.citation
        if p.kind == "analog":
            assert p.gmax > p.gmin > 0
            assert p.r_on and p.on_off and p.pulse_width_ltp and p.pulse_width_ltd


def test_presets_match_the_published_table():
    a = load_preset("agsi")
    assert (a.levels_ltp, a.levels_ltd, a.nl_ltp, a.nl_ltd) == (97, 100, 2.40, -4.88)
    assert (a.r_on, a.on_off, a.c2c) == (26e6, 12.5, 0.035)
    assert (a.v_write_ltp, a.v_write_ltd, a.pulse_width_ltp) == (3.2, -2.8, 300e-6)
    r = load_preset("rram")
    assert (r.levels_ltp, r.nl_ltp, r.nl_ltd, r.c2c, r.c2c_mode) == (32, 1.75, 1.46, 0.003,
                                                                      "per-update")
    assert (r.on_off, r.r_on, r.v_write_ltp, r.pulse_width_ltp, r.v_read) == (10, 100e3, 4.0,
                                                                               50e-9, 0.5)
    s = load_preset("sram")
    assert s.kind == "digital" and s.levels_ltp == 64 and s.nl_ltp == 0 and s.c2c == 0
    assert load_preset("ideal").kind == "ideal"


def test_aliases():
    assert load_preset("pcm").name == "gst-pcm"
    assert load_preset("fefet").name == "hzo-fefet"
    assert load_preset("AgSi").name == "agsi"       # case-insensitive


def test_derived_quantities_of_agsi_match_hand_computation():
    a = load_preset("agsi")
    assert a.gmax == pytest.approx(1 / 26e6)
    assert a.gmin == pytest.approx(1 / 26e6 / 12.5)
    assert a.g_mean == pytest.approx((1 / 26e6) * (1 + 1 / 12.5) / 2)
    assert a.a_ltp_pulses == pytest.approx(0.499181 * 97, rel=1e-5)
    assert a.a_ltd_pulses == pytest.approx(-0.200303 * 100, rel=1e-5)


def test_user_file_by_path(tmp_path):
    f = tmp_path / "mydev.toml"
    f.write_text('name = "mydev"\nlevels_ltp = 20\nlevels_ltd = 30\nnl_ltp = 1.0\n'
                 'nl_ltd = -1.0\nr_on = 1e5\non_off = 20\npulse_width_ltp = 1e-8\n'
                 'pulse_width_ltd = 1e-8\nc2c = 0.02\n')
    p = load_preset(str(f))
    assert p.name == "mydev" and p.levels_ltd == 30 and p.c2c == 0.02
    assert load_preset(f) == p


def _bad(tmp_path, body: str) -> str:
    f = tmp_path / "bad.toml"
    f.write_text('name = "bad"\nr_on = 1e5\non_off = 10\npulse_width_ltp = 1e-8\n'
                 'pulse_width_ltd = 1e-8\n' + body)
    with pytest.raises(ConfigError) as exc:
        load_preset(str(f))
    msg = str(exc.value)
    assert "\n" not in msg and "bad.toml" in msg
    return msg


def test_unknown_field_rejected_with_file_and_field(tmp_path):
    msg = _bad(tmp_path, "c2cc = 0.1\n")
    assert "'c2cc'" in msg and "valid fields" in msg and "c2c_mode" in msg


def test_wrong_type_rejected_with_file_and_field(tmp_path):
    msg = _bad(tmp_path, 'levels_ltp = "many"\n')
    assert "'levels_ltp'" in msg and "integer" in msg
    msg = _bad(tmp_path, "levels_ltp = 3.5\n")
    assert "'levels_ltp'" in msg
    msg = _bad(tmp_path, 'c2c = "high"\n')
    assert "'c2c'" in msg and "number" in msg


def test_out_of_range_rejected_with_file_and_field(tmp_path):
    msg = _bad(tmp_path, "c2c = 3.5\n")
    assert "field 'c2c' must be in [0, 1], got 3.5" in msg
    assert "'kind'" in _bad(tmp_path, 'kind = "quantum"\n')
    assert "'mapping'" in _bad(tmp_path, 'mapping = "both"\n')
    assert "'levels_ltd'" in _bad(tmp_path, "levels_ltd = 0\n")
    assert "'nl_ltp'" in _bad(tmp_path, "nl_ltp = 12.0\n")
    assert "'stuck_at_gmax'" in _bad(tmp_path, "stuck_at_gmin = 0.7\nstuck_at_gmax = 0.7\n")


def test_invalid_toml_and_missing_analog_fields(tmp_path):
    f = tmp_path / "broken.toml"
    f.write_text("name = \n")
    with pytest.raises(ConfigError, match="broken.toml"):
        load_preset(str(f))
    g = tmp_path / "noron.toml"
    g.write_text('name = "x"\n')
    with pytest.raises(ConfigError, match="noron.toml: field 'on_off' is required"):
        load_preset(str(g))


def test_unknown_preset_name_lists_valid_names():
    with pytest.raises(ConfigError) as exc:
        load_preset("unobtainium")
    msg = str(exc.value)
    assert "\n" not in msg and "unobtainium" in msg
    for n in EXPECTED:
        assert n in msg


def test_with_overrides_validates_again():
    a = load_preset("agsi")
    b = a.with_overrides(c2c=0.01, d2d=0.3)
    assert b.c2c == 0.01 and b.d2d == 0.3 and b.levels_ltp == a.levels_ltp
    assert a.c2c == 0.035                     # frozen original unchanged
    with pytest.raises(ConfigError, match="'c2c'"):
        a.with_overrides(c2c=-0.1)
    with pytest.raises(ConfigError, match="'bogus'"):
        a.with_overrides(bogus=1)


def test_to_dict_round_trips():
    for name in list_presets():
        p = load_preset(name)
        assert preset_from_dict(p.to_dict(), source="x") == p


def test_presets_dir_points_at_the_shipped_files():
    assert (presets_dir() / "devices" / "agsi.toml").is_file()
