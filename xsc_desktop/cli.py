"""The `xsc-desktop` entry point: no subcommand opens the window, subcommands run the services headless.

Exit codes: 0 success, 1 a failure the operator must see, 2 bad usage. Errors go to stderr as one sentence.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from typing import Any

from xsc_desktop import __version__
from xsc_desktop.errors import UsageError, UserError

# Each module in xsc_desktop/commands/ registers its subcommands; listed here so start-up imports only these.
COMMAND_MODULES: tuple[str, ...] = (
    "landers", "clients", "settings", "demo", "parsers", "intake", "integrations", "queue", "jobs", "mail",
    "daemon", "leads", "deliver", "sheets", "db", "secrets",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse prints a usage block; keep it, but exit 2 with one line
        self.print_usage(sys.stderr)
        self.exit(2, f"xsc-desktop: {message}. Run `xsc-desktop --help` for the commands.\n")


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--data-dir", metavar="DIR", default=default,
                        help="keep all state under DIR (default: XSC_DATA_DIR or the user data dir)")
    parser.add_argument("--database", metavar="URL", default=default,
                        help="database URL (default: XSC_DATABASE_URL or sqlite:///DATA_DIR/xsc-desktop.sqlite3)")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every command module's subcommands."""
    parser = _Parser(prog="xsc-desktop", description="XSC Desktop: landers, parsers, the integration queue, "
                     "leads and spreadsheet reports. With no command it opens the window.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"xsc_desktop.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"xsc_desktop.commands.{name}":
                continue
            raise
        module.register(sub)
    # Every subcommand also takes --data-dir and --database after its name.
    for choice in sub.choices.values():
        _add_common_recursively(choice)
    return parser


def _add_common_recursively(parser: argparse.ArgumentParser) -> None:
    if not any("--data-dir" in a.option_strings for a in parser._actions):
        _common(parser, top=False)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _add_common_recursively(child)


def print_json(value: Any) -> None:
    """Print a value as indented JSON (dates as ISO text)."""
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or all(a.startswith("--data-dir") or a.startswith("--database") or a in _flag_values(argv)
                       for a in argv):
        return _open_window(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        if args.command is None:
            return _open_window(argv)
        parser.parse_args([args.command, "--help"])
        return 2
    from xsc_desktop.context import Context

    ctx = None
    try:
        ctx = Context.create(args.data_dir, args.database)
        return int(handler(args, ctx) or 0)
    except UsageError as exc:
        print(f"xsc-desktop: {exc}", file=sys.stderr)
        return 2
    except UserError as exc:
        print(f"xsc-desktop: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("xsc-desktop: stopped.", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader (`| head`) went away; the output was not wanted any more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        from xsc_desktop.faults import user_error

        known = user_error(exc)  # a locked or damaged database, a full disk: a sentence, not "unexpected"
        if known is not None:
            print(f"xsc-desktop: {known}", file=sys.stderr)
            return 1
        # Unexpected: the traceback goes to the log (secrets masked there), the operator gets one sentence.
        import logging

        logging.getLogger("xsc_desktop.cli").exception("Command %s failed unexpectedly", args.command)
        where = ctx.log_path if ctx is not None and ctx.log_path else "the log folder of the data dir"
        print(f"xsc-desktop: the command stopped on an unexpected error ({type(exc).__name__}); the details are in "
              f"{where} — please send them to the developers.", file=sys.stderr)
        return 1


def _flag_values(argv: list[str]) -> set[str]:
    """The values given to --data-dir/--database in their two-word form, so they are not taken for commands."""
    values = set()
    for i, a in enumerate(argv[:-1]):
        if a in ("--data-dir", "--database"):
            values.add(argv[i + 1])
    return values


def _open_window(argv: list[str]) -> int:
    parser = _Parser(prog="xsc-desktop")
    _common(parser, top=True)
    args = parser.parse_args(argv)
    from ui.app import run

    return run(data_dir=args.data_dir, database_url=args.database)


if __name__ == "__main__":
    sys.exit(main())
