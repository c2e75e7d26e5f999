"""The exceptions diffcheck raises for bad input."""


class ShapeError(ValueError):
    """Operand shapes do not fit together; the message names the operation and both shapes."""


class ParseError(ValueError):
    """A math string was rejected; the message names the reason and the position."""

    def __init__(self, reason: str, position: int | None = None, text: str | None = None):
        self.reason = reason
        self.position = position
        self.text = text
        where = "" if position is None else f" at position {position}"
        super().__init__(f"{reason}{where}")
