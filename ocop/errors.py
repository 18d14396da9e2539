"""Errors that operations raise and views turn into messages in the user's language."""


class Invalid(Exception):
    """Input that breaks a rule: `errors` maps a field name to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors

    @classmethod
    def one(cls, field: str, message: str) -> "Invalid":
        """The error of a single field."""
        return cls({field: [message]})

    def text(self) -> str:
        """Every message in one sentence, for a flash or the console."""
        return " ".join(m for messages in self.errors.values() for m in messages)


class StaleEdit(Exception):
    """Someone saved the record after this edit was loaded; saving would overwrite them."""
