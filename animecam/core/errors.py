"""The one exception type a user ever sees.

Anything the user can fix (a bad path, a missing camera, an unknown style) is raised as a
`UserError` whose message is a single line naming the problem and the fix. The CLI prints it as
`error: <message>` and exits with code 2; the GUI shows it in its banner.
"""


class UserError(Exception):
    """A problem the user can fix; `str(err)` is one line saying what and how."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))
