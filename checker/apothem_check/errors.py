"""The checker's two exception types: a file it cannot accept (`InputError`) and a proof step
that does not follow (`CheckError`).

Every rejection goes through one of them, so the command line can print one clear line (and a
stable code that tests and scripts can match on) instead of a traceback.
"""


class _Coded(Exception):
    """`code` is a stable UPPER_SNAKE identifier; printed as `CODE: message`."""

    step = None  # a CheckError's step, once Session.apply knows it

    def __init__(self, code: str, message: str):
        super().__init__(code, message)
        self.code, self.message = code, message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InputError(_Coded):
    """A model/property/proof file the checker cannot accept."""


class CheckError(_Coded):
    """A step that does not follow from the rules; carries what the user needs to find it."""

    def __str__(self) -> str:
        where = "" if self.step is None else f"step {self.step.id} (rule {self.step.rule}) line {self.step.line}: "
        return where + super().__str__()
