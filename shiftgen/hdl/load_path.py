"""An array's weight-load port: one row of codes per edge, split per column, decoded when shared.

Every dataflow loads weights the same way (``w_load``, ``w_in``: one line of
``weights.hex`` per edge, rows ``R-1`` to 0), so the port, the shared
decoders of a family that has them (:class:`~shiftgen.families.base.SharedDecoder`)
and the extra ports they need live here once.
"""

from amaranth.hdl import Value, unsigned
from amaranth.lib.wiring import In

__all__ = ["LoadPath"]


class LoadPath:
    """The load path of the array of ``spec``.

    Parameters
    ----------
    spec : Spec
        A spec with an ``array`` section.
    make_cell : callable
        ``make_cell(cell_spec)``: the array's cell for the spec its cells are
        built from (the decoder-free one when the decoder is shared).

    Members
    -------
    cell_spec : Spec
        The spec the cells are built from.
    cell : wiring.Component
        ``make_cell(cell_spec)``.
    decoders : list
        The shared decoder components (none with ``decoder: pe``).
    extra : dict
        Ports the array adds: a PE-level decoder's write port, or the shared
        decoders' (with ``qps_col``-like column address for one per column).
    """

    def __init__(self, spec, make_cell):
        cfg = spec.array
        self.spec = spec
        shared = spec.family.shared_decoder if cfg.decoder != "pe" else None
        self.cell_spec = spec if shared is None else shared.cell_spec(spec)
        self.cell = make_cell(self.cell_spec)
        self.decoders = []
        self.column_address = None
        if cfg.decoder == "pe":
            members = dict(self.cell.signature.members.items())
            self.extra = {name: members[name] for name in self.cell.extra_members()}
        else:
            count, ports = (cfg.cols, 1) if cfg.decoder == "column" else (1, cfg.cols)
            self.decoders = [shared.component(spec, ports) for _ in range(count)]
            extra = {name: member for name, member in self.decoders[0].signature.members.items()
                     if name not in ("code", "decoded")}
            if cfg.decoder == "column" and shared.write_enable in extra:
                # One table per column: a write goes to the column the address
                # names (broadcast writes would keep every table equal, one table's worth).
                self.column_address = shared.column_address
                extra[self.column_address] = In(unsigned(max(1, (cfg.cols - 1).bit_length())))
            self.extra = extra

    def port(self):
        """The load port's signature members (``w_load``, ``w_in``)."""
        cfg = self.spec.array
        return {"w_load": In(1), "w_in": In(unsigned(cfg.cols * self.spec.pe.weight_bits))}

    def column_codes(self, m, array):
        """The weight word each column's chain shifts in (decoded when shared).

        ``array`` is the component holding the ports (``w_in`` and :attr:`extra`).
        """
        C, B = self.spec.array.cols, self.spec.pe.weight_bits
        codes = [array.w_in[c * B:(c + 1) * B] for c in range(C)]
        if not self.decoders:
            return codes
        out = []
        for k, dec in enumerate(self.decoders):
            m.submodules[f"decoder{k}"] = dec
            column = self.column_address
            for name in self.extra:
                if name == column:
                    continue
                value = getattr(array, name)
                if column is not None and name == self.spec.family.shared_decoder.write_enable:
                    value = value & (getattr(array, column) == k)
                m.d.comb += getattr(dec, name).eq(value)
            ports = range(C) if len(self.decoders) == 1 else [k]
            for j, c in enumerate(ports):
                m.d.comb += Value.cast(dec.code[j]).eq(codes[c])
                out.append(Value.cast(dec.decoded[j]))
        return out
