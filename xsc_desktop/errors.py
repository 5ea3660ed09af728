"""Errors a person reads: each carries one plain sentence saying what happened and what to do."""


class UserError(Exception):
    """A failure the operator must see; its message is shown as it is (CLI exit code 1, a dialog in the app)."""


class UsageError(UserError):
    """The command was called the wrong way (CLI exit code 2)."""
