"""``python -m shiftgen.asic [--install]``: find or fetch the OSU 0.18 um liberty.

The command the README's install line runs; the code is :mod:`shiftgen.synth.liberty`.
"""

from .synth.liberty import main

if __name__ == "__main__":
    raise SystemExit(main())
