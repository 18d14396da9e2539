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


class StaleEdit(Exception):
    """Someone saved the record after this edit was loaded; saving would overwrite them."""
