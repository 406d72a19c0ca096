"""The one exception type the checker raises for input it cannot accept.

Every rejection of a model, property or proof file goes through `InputError`, so the
command line can print one clear line (and a stable code that tests and scripts can
match on) instead of a traceback.
"""


class InputError(Exception):
    """A model/property/proof file the checker cannot accept; `code` is a stable UPPER_SNAKE identifier."""

    def __init__(self, code: str, message: str):
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
