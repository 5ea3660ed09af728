"""A secret's field hides what is typed and has an eye at its end that shows it, drawn in the palette's text
colour (visible on a dark desktop too); in Settings and in a lander's integration settings alike."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLineEdit

from ui.theme import dark_palette


def _reveal(line: QLineEdit) -> QAction:
    actions = [a for a in line.actions() if a.objectName() == "reveal"]
    assert actions, line.placeholderText()
    return actions[0]


def _darkest_drawn_pixel_lightness(action: QAction) -> int:
    image = action.icon().pixmap(QSize(24, 24)).toImage()
    drawn = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())
             if image.pixelColor(x, y).alpha() > 200]
    assert drawn
    return max(colour.lightness() for colour in drawn)


def test_settings_secrets_have_an_eye_that_shows_and_hides(window):
    page = window.show_page("settings")
    secrets = [e for e in page.findChildren(QLineEdit) if e.echoMode() == QLineEdit.EchoMode.Password]
    assert secrets
    for line in secrets:
        action = _reveal(line)
        action.trigger()
        assert line.echoMode() == QLineEdit.EchoMode.Normal
        action.trigger()
        assert line.echoMode() == QLineEdit.EchoMode.Password


def test_the_eye_is_drawn_light_under_a_dark_palette(qtbot):
    from ui.widgets import add_reveal

    app = QApplication.instance()
    line = QLineEdit()
    qtbot.addWidget(line)
    line.setPalette(dark_palette())
    add_reveal(line)
    assert _darkest_drawn_pixel_lightness(_reveal(line)) > 170  # not a black eye on a dark field
    assert app is not None


def test_integration_secrets_have_the_eye_too(window, ctx):
    from ui.dialogs.integration_dialog import IntegrationDialog, load_state
    from xsc_desktop import integrations, landers

    lander = landers.add_lander(client="Quill Law", campaign="Auto", name="Quill Auto", url="https://lp.example/q")
    integrations.set_integration(lander.id, parser="generic_json", secrets={"api_key": "k-123"})
    dialog = IntegrationDialog(load_state(lander.id), window)
    try:
        secrets = list(dialog.secret_edits.values())
        assert secrets
        for line in secrets:
            assert line.echoMode() == QLineEdit.EchoMode.Password
            _reveal(line)
    finally:
        dialog.close()
