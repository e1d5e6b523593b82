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
        the weights may be reloaded (every result is out by then).
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
    "constant": Dataflow("constant", _constant, "array", False, lambda cfg: 2,
                         lambda cfg: "2 cycles for every column (input register, output register)",
                         loads=False, fixed_weights=_constant_weights, stage=_constant_stage),
}


def dataflow(spec):
    """The :class:`Dataflow` of ``spec``'s array."""
    return DATAFLOWS[spec.array.dataflow]
