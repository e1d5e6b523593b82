"""The golden exports: sha256 of every exported ``.v``, ``.il`` and ``codebook.json``.

``manifest.json`` beside this file holds, per design, the hash of each file
the export writes: every shipped spec (``specs/*.yaml`` and
``specs/arrays/*.yaml``, with its variants and, for an array spec, the array
files) and a 4 x 4 array of one PE per family (three for SQ, one per
decoder placement). A change that is not meant to alter hardware leaves it
unchanged; ``tests/test_golden_exports.py`` checks that. When a change is
meant to alter hardware, rewrite it and commit the diff, which names the
designs that changed::

    python -m tests.golden.exports --update

Without ``--update`` the command checks every design (arrays of 64 x 64
included, which the default test run leaves to ``-m slow``) and prints the
ones that differ.
"""

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = Path(__file__).with_name("manifest.json")

#: (PE spec stem, array decoder placement) of the small arrays, one PE per family.
SMALL_ARRAYS = (("uniform_4x8", "pe"), ("pot_4bit", "pe"), ("apot_4bit", "pe"),
                ("sq_4bit", "pe"), ("sq_4bit", "column"), ("sq_4bit", "array"),
                ("jlq_3bit", "pe"), ("ausn_8x4", "pe"))
SMALL = 4

#: Arrays larger than this many cells are checked only with ``-m slow``.
LARGE_CELLS = 256


def _spec_module():
    from shiftgen.spec import load_spec, parse_spec
    return load_spec, parse_spec


def small_array_spec(stem, decoder):
    """The ``SMALL x SMALL`` array of the shipped PE spec ``stem``."""
    _, parse_spec = _spec_module()
    path = ROOT / "specs" / f"{stem}.yaml"
    doc = yaml.safe_load(path.read_text())
    name = f"{stem}_{SMALL}x{SMALL}" + ("" if decoder == "pe" else f"_{decoder}")
    doc["name"] = name
    doc["array"] = {"rows": SMALL, "cols": SMALL, "decoder": decoder}
    return parse_spec(yaml.safe_dump(doc, sort_keys=False), path=path.with_name(f"{name}.yaml"))


def designs():
    """``{design name: Spec}``: every shipped spec and the small arrays."""
    load_spec, _ = _spec_module()
    out = {}
    for path in sorted((ROOT / "specs").glob("*.yaml")) + \
            sorted((ROOT / "specs" / "arrays").glob("*.yaml")):
        rel = path.relative_to(ROOT / "specs").with_suffix("").as_posix()
        out[rel] = load_spec(path)
    for stem, decoder in SMALL_ARRAYS:
        spec = small_array_spec(stem, decoder)
        out[f"small/{spec.name}"] = spec
    return out


def is_large(spec):
    return spec.array is not None and spec.array.rows * spec.array.cols > LARGE_CELLS


def export_design(spec, out_dir):
    """Export ``spec`` as ``shiftgen build`` does; ``{file name: sha256}``."""
    from shiftgen.export.array import export_array
    from shiftgen.export.verilog import export
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    export(spec, spec.elaborate(), out_dir)
    (out_dir / "codebook.json").write_text(spec.codebook.to_json())
    for suffix, variant in spec.family.variants(spec).items():
        export(variant, variant.elaborate(), out_dir)
        (out_dir / f"codebook_{suffix}.json").write_text(variant.codebook.to_json())
    if spec.array is not None:
        export_array(spec, out_dir)
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out_dir.iterdir())
            if p.is_file() and (p.suffix in (".v", ".il") or p.name.startswith("codebook"))}


def compute(names=None):
    """``{design: {file: sha256}}`` for ``names`` (default: every design)."""
    specs = designs()
    out = {}
    with tempfile.TemporaryDirectory(prefix=".golden-", dir=Path.cwd()) as tmp:
        for name, spec in specs.items():
            if names is not None and name not in names:
                continue
            out[name] = export_design(spec, Path(tmp) / name.replace("/", "_"))
    return out


def load():
    """The checked-in manifest."""
    return json.loads(MANIFEST.read_text())


def dumps(manifest):
    return json.dumps(dict(sorted(manifest.items())), indent=1, sort_keys=True) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.golden.exports",
                                     description="Check or rewrite the golden export hashes.")
    parser.add_argument("--update", action="store_true",
                        help="rewrite tests/golden/manifest.json from the current exports")
    args = parser.parse_args(argv)
    now = compute()
    if args.update:
        MANIFEST.write_text(dumps(now))
        print(f"wrote {MANIFEST.relative_to(ROOT)}: {len(now)} designs, "
              f"{sum(len(v) for v in now.values())} files")
        return 0
    old = load()
    changed = sorted(n for n in set(now) | set(old) if now.get(n) != old.get(n))
    for name in changed:
        files = sorted(f for f in set(now.get(name, {})) | set(old.get(name, {}))
                       if now.get(name, {}).get(f) != old.get(name, {}).get(f))
        print(f"{name}: {', '.join(files)}")
    print(f"{len(changed)} of {len(now)} designs differ from the manifest")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
