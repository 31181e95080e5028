"""`autocut config show` hides credentials and nothing else."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from autocut_core import hookimpl
from autocut_core.cli.redaction import MASK, declared_credentials, redacted
from autocut_core.components import ComponentSettings, Encoder
from autocut_core.settings import OPTION_TABLES

TABLES = {table: kind for kind, table in OPTION_TABLES.items()}


class _LicensedSettings(ComponentSettings):
    licence_code: SecretStr | None = None
    max_tokens: int = 16


class _LicensedEncoder(Encoder):
    name = "licensed"
    modality = "image"
    Settings = _LicensedSettings

    dim = 1

    def encode_batch(self, items):
        raise NotImplementedError("never asked to encode here")


class _Plugin:
    @hookimpl
    def register_encoders(self, register):
        register(_LicensedEncoder)


def test_declared_credentials_are_the_secret_typed_fields():
    assert declared_credentials(_LicensedSettings) == {"licence_code"}


def test_names_that_merely_contain_token_or_key_are_shown():
    data = {
        "tokenizer": "rqvae", "audio_tokenizer": "rqvae-audio", "key_frames": 4,
        "backbones": {"openai": {"max_tokens": 300, "api_key_env": "OPENAI_API_KEY",
                                 "token_budget": 9, "api_key": "sk-live-123"}},
    }  # fmt: skip
    shown = redacted(data, TABLES, registry=None)
    assert shown["tokenizer"] == "rqvae" and shown["audio_tokenizer"] == "rqvae-audio"
    assert shown["key_frames"] == 4
    openai = shown["backbones"]["openai"]
    assert openai == {"max_tokens": 300, "api_key_env": "OPENAI_API_KEY", "token_budget": 9,
                      "api_key": MASK}  # fmt: skip


@pytest.fixture
def config(in_tmp):
    path = in_tmp / "autocut.toml"
    path.write_text(
        'backbone = "openai"\n'
        "[backbones.openai]\n"
        'api_key = "sk-live-123"\napi_key_env = "MY_KEY"\nmax_tokens = 300\n'
        "[backbones.someone-elses]\n"
        'access_token = "hf_abc"\ntokenizer_path = "tok/"\n'
        "[encoders.licensed]\n"
        'licence_code = "LIC-9"\nmax_tokens = 16\n',
        encoding="utf-8",
    )
    return path


def test_config_show_names_the_tokenizers_and_hides_only_credentials(config, cli, autocut_plugin):
    autocut_plugin(_Plugin(), name="licensed")
    code, out, err = cli("config", "show", "--json")
    assert code == 0, err
    settings = json.loads(out)["settings"]
    assert settings["tokenizer"] == "rqvae" and settings["audio_tokenizer"] == "rqvae-audio"
    assert settings["backbones"]["openai"] == {"api_key": MASK, "api_key_env": "MY_KEY",
                                               "max_tokens": 300}  # fmt: skip
    assert settings["backbones"]["someone-elses"] == {"access_token": MASK,
                                                      "tokenizer_path": "tok/"}  # fmt: skip
    assert settings["encoders"]["licensed"] == {"licence_code": MASK, "max_tokens": 16}
    code, text, _ = cli("config", "show")
    assert code == 0 and 'tokenizer = "rqvae"' in text
    for secret in ("sk-live-123", "hf_abc", "LIC-9"):
        assert secret not in out and secret not in text
