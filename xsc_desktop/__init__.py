"""XSC Desktop core: storage, services, scheduled jobs and the headless command line (no Qt here)."""

__version__ = "0.1.0"
APP_NAME = "XSC Desktop"
APP_ID = "xsc-desktop"
