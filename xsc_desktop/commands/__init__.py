"""Subcommands of `xsc-desktop`; each module has `register(subparsers)` and handlers `fn(args, ctx) -> int`."""
