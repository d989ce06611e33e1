import json
from dataclasses import fields

import pytest

from clickclack.config import SETTINGS, Config, load_config
from clickclack.errors import ConfigError


def test_every_setting_is_a_config_field_with_the_same_default():
    by_field = {f.name: f.default for f in fields(Config)}
    assert set(by_field) == {s.name for s in SETTINGS}
    for s in SETTINGS:
        assert by_field[s.name] == s.default, s.name


def test_precedence_defaults_env_file_flags(tmp_path):
    cfg_file = tmp_path / "c.json"
    cfg_file.write_text(json.dumps({"addr": "127.0.0.1:7001", "data": "/from-file"}))
    env = {"CLICKCLACK_ADDR": "127.0.0.1:7000", "CLICKCLACK_DATA": "/from-env",
           "CLICKCLACK_DEV_BOOTSTRAP": "true", "CLICKCLACK_SYNCHRONOUS": "normal"}
    assert load_config(env={}).addr == "127.0.0.1:8080"
    assert load_config(env=env).addr == "127.0.0.1:7000"
    c = load_config(env=env, config_file=cfg_file)
    assert (c.addr, c.data, c.dev_bootstrap, c.synchronous) == (
        "127.0.0.1:7001", "/from-file", True, "NORMAL")
    c = load_config(env=env, config_file=cfg_file, flags={"addr": "127.0.0.1:7002", "data": None})
    assert (c.addr, c.data) == ("127.0.0.1:7002", "/from-file")  # unset flags do not override


@pytest.mark.parametrize(("env", "message"), [
    ({"CLICKCLACK_DEV_BOOTSTRAP": "maybe"}, "true or false"),
    ({"CLICKCLACK_SYNCHRONOUS": "OFF"}, "FULL or NORMAL"),
    ({"CLICKCLACK_ADDR": "nohost"}, "host:port"),
    ({"CLICKCLACK_BACKLOG": "many"}, "int"),
])
def test_bad_values_are_refused_with_a_clear_message(env, message):
    with pytest.raises(ConfigError, match=message):
        load_config(env=env)


def test_unknown_key_in_config_file_is_refused(tmp_path):
    f = tmp_path / "c.json"
    f.write_text('{"adr": ":1"}')
    with pytest.raises(ConfigError, match="unknown setting 'adr'"):
        load_config(env={}, config_file=f)


def test_db_path_defaults_under_data_and_accepts_sqlite_urls():
    assert str(Config(data="/d").db_path) == "/d/clickclack.db"
    assert str(Config(db="sqlite:///x/y.db").db_path) == "/x/y.db"
    with pytest.raises(ConfigError):
        _ = Config(db="postgres://h/db").db_path
