"""Every command and option says what it does in --help (issue 16)."""

from __future__ import annotations

from collections.abc import Iterator

import click

from mochi.cli import main


def _commands(group: click.Group, ctx: click.Context, path: str) -> Iterator[tuple[str, click.Command]]:
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from _commands(command, ctx, f"{path} {name}")
        else:
            yield f"{path} {name}", command


def test_every_command_and_option_has_help_text() -> None:
    ctx = click.Context(main)
    missing = [
        f"{path} {'/'.join(param.opts)}"
        for path, command in _commands(main, ctx, "mochi")
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden and not param.help
    ]
    commands = _commands(main, ctx, "mochi")
    missing += [path for path, command in commands if not (command.help or command.short_help)]
    assert missing == []


def test_format_and_output_accept_the_same_formats() -> None:
    """`--format X` prints what `--output X=PATH` writes, for every renderer (and `reviews retry`)."""
    import typing

    from mochi.commands.review import FORMATS
    from mochi.publish.files import RENDERERS
    from mochi.settings import Settings

    assert set(FORMATS) == set(RENDERERS)
    assert set(typing.get_args(Settings.model_fields["format"].annotation)) == set(RENDERERS)
