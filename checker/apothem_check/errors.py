"""The checker's two exception types: a file it cannot accept (`InputError`) and a proof step
that does not follow (`CheckError`).

Every rejection goes through one of them, so the command line can print one clear line (and a
stable code that tests and scripts can match on) instead of a traceback.
"""


class InputError(Exception):
    """A model/property/proof file the checker cannot accept; `code` is a stable UPPER_SNAKE identifier."""

    def __init__(self, code: str, message: str):
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class CheckError(Exception):
    """A step that does not follow from the rules; carries what the user needs to find it."""

    def __init__(self, code: str, message: str, step=None, model=None):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.step = code, message, step
        self.model = model  # Z3_SAT: z3's unsafe point (exact inputs inside the property's box)

    def __str__(self) -> str:
        if self.step is None:
            return f"{self.code}: {self.message}"
        return (f"step {self.step.id} (rule {self.step.rule}) line {self.step.line}: "
                f"{self.code}: {self.message}")
