"""Errors that the command line reports as one line, without a traceback."""

__all__ = ["ShiftgenError", "SpecError", "InputError", "ToolError", "VerificationError"]


class ShiftgenError(Exception):
    """Base class of every error that ``shiftgen`` reports to the user.

    The message is one line; the command line prints it after ``error:`` and
    exits with :attr:`exit_code`.
    """
    exit_code = 1


class SpecError(ShiftgenError):
    """A spec file is missing, unreadable or invalid.

    Parameters
    ----------
    file : str or os.PathLike
        The spec file.
    field : str or None
        Dotted path of the offending field (``pe.acc_bits``), or ``None`` when
        the file as a whole is at fault.
    message : str
        What is wrong, including the value and what is allowed.
    """
    exit_code = 2

    def __init__(self, file, field, message):
        self.file = str(file)
        self.field = field
        self.message = message
        where = self.file if field is None else f"{self.file}: {field}"
        super().__init__(f"{where}: {message}")


class InputError(ShiftgenError):
    """An input file other than the spec (weights) is missing or invalid."""
    exit_code = 2


class ToolError(ShiftgenError):
    """An external tool (Yosys, a simulator) failed or is missing."""


class VerificationError(ShiftgenError):
    """A generated design disagrees with the golden model."""
