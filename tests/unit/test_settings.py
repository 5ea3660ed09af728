"""Typed settings: defaults, checking, and secrets kept masked."""

from __future__ import annotations

import pytest

from xsc_desktop import settings
from xsc_desktop.errors import UserError
from xsc_desktop.models import Setting


def test_defaults_until_set_then_typed_values(ctx):
    assert settings.get("smtp.port") == 587
    settings.set("smtp.port", "2525")
    assert settings.get("smtp.port") == 2525
    settings.set("ui.close_to_tray", "no")
    assert settings.get("ui.close_to_tray") is False


@pytest.mark.parametrize(("key", "value"), [("smtp.port", "many"), ("smtp.security", "tls1.0"),
                                            ("queue.gather_time", "25:00"), ("nope.key", "1")])
def test_bad_values_are_refused_in_a_sentence(ctx, key, value):
    with pytest.raises(UserError):
        settings.set(key, value)


def test_secret_setting_is_stored_apart_and_shown_masked(ctx):
    settings.set("smtp.password", "hunter2-very-secret")
    assert settings.get("smtp.password") == "hunter2-very-secret"
    assert settings.shown("smtp.password") == settings.MASK
    assert "hunter2" not in str(settings.all_shown())
    assert not Setting.select().where(Setting.key == "smtp.password").exists()
