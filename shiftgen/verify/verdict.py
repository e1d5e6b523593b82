"""What a check concluded: one type for every simulation and proof.

A result dict of any check (``report.json`` ``verification``) holds its
verdict under ``"result"``; the JSON value is the verdict's string
(``"pass"``, ``"proved"``, ...), so reports read as before.
"""

import enum

__all__ = ["Verdict", "failed_checks", "report_failures"]


class Verdict(enum.StrEnum):
    """The conclusion of one check.

    Simulations end in :attr:`PASS` or :attr:`FAIL`; proofs in
    :attr:`PROVED`, :attr:`FAILED` (a counterexample), :attr:`UNPROVEN`
    (induction did not close), :attr:`TIMEOUT` or :attr:`ERROR` (the tool
    gave no verdict); a check whose tool is missing is :attr:`SKIPPED`.
    """
    PASS = "pass"
    FAIL = "fail"
    PROVED = "proved"
    FAILED = "failed"
    UNPROVEN = "unproven"
    TIMEOUT = "timeout"
    ERROR = "error"
    SKIPPED = "skipped"

    @property
    def ok(self):
        """Whether the check found nothing wrong (a skipped check counts as no failure)."""
        return self in (Verdict.PASS, Verdict.PROVED, Verdict.SKIPPED)

    @classmethod
    def of_mismatches(cls, mismatches, *, ran=True):
        """:attr:`PASS` for a simulation that ran and compared no value wrong, else :attr:`FAIL`."""
        return cls.PASS if ran and mismatches == 0 else cls.FAIL


def failed_checks(verification, variants=None):
    """Names of the checks in ``verification`` (name -> result) that did not pass.

    ``variants`` (``report.json`` ``variants``) adds theirs as ``<suffix>.<check>``.
    """
    bad = [name for name, res in verification.items() if not Verdict(res["result"]).ok]
    for suffix, var in (variants or {}).items():
        bad += [f"{suffix}.{name}" for name in failed_checks(var["verification"])]
    return bad


def report_failures(report):
    """Every failed check of a build report: PE, variants and array."""
    bad = failed_checks(report["verification"], report.get("variants"))
    if "array" in report:
        bad += [f"array.{name}" for name in failed_checks(report["array"]["verification"])]
    return bad
