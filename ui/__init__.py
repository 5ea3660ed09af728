"""The XSC Desktop window: PySide6 lives here and only here."""
