"""The array dataflows, by the ``array.dataflow`` of a spec: one place that knows them all."""

from dataclasses import dataclass

__all__ = ["Dataflow", "DATAFLOWS", "dataflow"]


@dataclass(frozen=True)
class Dataflow:
    """What the rest of shiftgen needs to know of one array dataflow.

    Members
    -------
    name : str
    component : callable
        ``component(spec, cells=..., name=...)``: the array
        (``cells="inline"`` for simulation, ``"instance"`` for export).
    unit : str
        The module the array instantiates ``R * C`` or ``C`` times
        (``cell`` or ``column``), or ``array``: one module, no unit
        (``dataflow: constant``).
    per_column_valid : bool
        ``y_valid`` has a bit per column (else one bit for all).
    drain : callable
        ``drain(array_config)``: idle edges after a job's last vector before
        the weights may be reloaded (every result is out by then). See
        :meth:`drain_of`, which checks and testbenches call.
    latency : callable
        ``latency(array_config)``: the latency, as the report states it.
    partition : callable
        ``partition(array_config)``: the unit's parts that synthesis maps one
        by one (lists of wire names, :func:`~shiftgen.synth.recipes.partition_commands`),
        or ``None`` to map it whole.
    loads : bool
        The array has the weight-load port (``w_load``, ``w_in``).
    fixed_weights : callable
        ``fixed_weights(spec)``: the codes an array without a load port is
        built from (every job of its checks uses them), or ``None``.
    stage : callable or None
        The build stage of a dataflow that is not built from a unit module
        (:func:`shiftgen.flows.constant.constant_stage`), or ``None``.
    spec_drain : callable or None
        ``spec_drain(spec)``: the drain of a dataflow whose timing depends on
        more than the array config (a pipelined constant array's, on the
        depth of the graph its weights make), in place of ``drain``.
    """
    name: str
    component: object
    unit: str
    per_column_valid: bool
    drain: object
    latency: object
    partition: object = lambda cfg: None
    loads: bool = True
    fixed_weights: object = lambda spec: None
    stage: object = None
    spec_drain: object = None

    def drain_of(self, spec):
        """Idle edges after a job's last vector for ``spec``'s array (:attr:`drain`)."""
        return self.spec_drain(spec) if self.spec_drain is not None else self.drain(spec.array)

    def units(self, spec):
        """How many times the top instantiates the unit."""
        cfg = spec.array
        return {"cell": cfg.rows * cfg.cols, "column": cfg.cols}.get(self.unit, 1)


def _weight_stationary(spec, cells="inline", name=None):
    from .array import WeightStationaryArray
    return WeightStationaryArray(spec, cells=cells, cell_name=name)


def _broadcast(spec, cells="inline", name=None):
    from .broadcast import BroadcastArray
    return BroadcastArray(spec, cells=cells, column_name=name)


def _broadcast_drain(cfg):
    from .broadcast import pipeline_stages
    return 2 + pipeline_stages(cfg.rows, cfg.chain, cfg.pipeline)


def _broadcast_latency(cfg):
    from .broadcast import pipeline_stages
    stages = pipeline_stages(cfg.rows, cfg.chain, cfg.pipeline)
    return (f"{2 + stages} cycles for every column (input register, {stages} pipeline "
            f"stage{'s' * (stages != 1)}, output register)")


def _broadcast_partition(cfg):
    # The column's chains (products and chain adders, up to the keep-marked
    # chain sums): the tree above them stays with the column.
    from .column_sum import chain_ends
    ends = chain_ends(cfg.rows, cfg.chain)
    return [[end] for end in ends] if len(ends) > 1 else None


def _constant(spec, cells="inline", name=None):
    from .constant import ConstantArray, default_backend
    return ConstantArray(spec, default_backend(spec))


def _constant_cfg_drain(cfg):
    if cfg.pipeline:
        raise ValueError("A pipelined constant array's drain depends on its graph, not only "
                         "on its array config: use Dataflow.drain_of(spec)")
    return 2


def _constant_latency(cfg):
    if not cfg.pipeline:
        return "2 cycles for every column (input register, output register)"
    return (f"2 + (depth - 1) // {cfg.pipeline} cycles for every column (input register, a "
            f"register stage every {cfg.pipeline} levels of the adder graph's depth, output "
            f"register)")


def _constant_drain(spec):
    # Every back end a build of the spec checks on the same schedule (``auto``:
    # each one installed), so the longest of their latencies.
    from ..flows.constant import backends_of
    from .constant import constant_latency
    if not spec.array.pipeline:
        return 2
    return max(constant_latency(spec, backend) for backend in backends_of(spec)[0])


def _constant_weights(spec):
    from ..weights.constant import constant_weights
    return constant_weights(spec).codes


def _constant_stage(*args, **kwargs):
    from ..flows.constant import constant_stage
    return constant_stage(*args, **kwargs)


#: ``array.dataflow`` -> :class:`Dataflow`.
DATAFLOWS = {
    "weight_stationary": Dataflow(
        "weight_stationary", _weight_stationary, "cell", True, lambda cfg: cfg.rows + cfg.cols,
        lambda cfg: f"R + c = {cfg.rows} + c cycles for column c"),
    "broadcast": Dataflow("broadcast", _broadcast, "column", False, _broadcast_drain,
                          _broadcast_latency, _broadcast_partition),
    "constant": Dataflow("constant", _constant, "array", False, _constant_cfg_drain,
                         _constant_latency, loads=False, fixed_weights=_constant_weights,
                         stage=_constant_stage, spec_drain=_constant_drain),
}


def dataflow(spec):
    """The :class:`Dataflow` of ``spec``'s array."""
    return DATAFLOWS[spec.array.dataflow]
